/** The interview's event stream over a WebSocket: authenticates with the first message, remembers the
 * last event id and reconnects with it after a drop, so no event is missed or repeated. */

export interface ServerEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

const RETRY_MS = [500, 1000, 2000, 4000, 8000];
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_NOT_FOUND = 4404;
const CLOSE_FORBIDDEN = 4403;

export interface SocketHandlers {
  event(event: ServerEvent): void;
  lost(): void;
  /** The server refused this credential for good (revoked, wrong interview). */
  refused(code: number): void;
}

export class EventSocket {
  private socket: WebSocket | null = null;
  private lastId: string | null = null;
  private attempt = 0;
  private timer: number | undefined;
  private stopped = false;

  constructor(private readonly url: string, private token: () => string, private readonly on: SocketHandlers) {}

  open(): void {
    this.stopped = false;
    this.connect();
  }

  /** Drop the current socket (if any) and connect again at once, e.g. when the browser is back online. */
  reconnect(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.drop();
    this.connect();
  }

  /** Hand a fresh token to the open socket before the current one expires. */
  reauthenticate(): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.send({ type: "auth", token: this.token() });
  }

  close(): void {
    this.stopped = true;
    this.drop();
  }

  private drop(): void {
    window.clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onmessage = socket.onopen = null;
      socket.close();
    }
  }

  private connect(): void {
    window.clearTimeout(this.timer);
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => this.send({ type: "auth", token: this.token(), ...(this.lastId ? { after: this.lastId } : {}) });
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = (close) => {
      this.socket = null;
      if (this.stopped) return;
      if ([CLOSE_NOT_FOUND, CLOSE_FORBIDDEN].includes(close.code)) {
        this.on.refused(close.code);
        return;
      }
      if (close.code === CLOSE_UNAUTHENTICATED && this.attempt >= 2) {
        this.on.refused(close.code);
        return;
      }
      this.on.lost();
      this.timer = window.setTimeout(() => this.connect(), RETRY_MS[Math.min(this.attempt, RETRY_MS.length - 1)]);
      this.attempt += 1;
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    let message: { type?: string; event?: ServerEvent };
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === "ready") {
      this.attempt = 0;
    } else if (message.type === "event" && message.event && typeof message.event.id === "string") {
      this.lastId = message.event.id;
      this.on.event(message.event);
    }
  }

  private send(message: object): void {
    this.socket?.send(JSON.stringify(message));
  }
}
