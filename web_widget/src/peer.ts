/** The WebRTC connection that carries the candidate's microphone and camera to the server: an offer
 * posted to the signalling resource, trickled ICE candidates, and an ICE restart for the same peer id
 * after a network change or when the connection fails (the server that held it stopped, say). */

import { ApiError, type Api } from "./api";

interface Answer { peer_id: string; sdp: string; type: "answer" }

/** How long the connection may stay "disconnected" (it often comes back by itself) before a restart. */
const DISCONNECTED_GRACE_MS = 3_000;
/** How long each restart may take to connect before the next one; after the last, the connection is lost. */
const RESTART_WAITS_MS = [5_000, 10_000, 20_000, 40_000];

/** What the candidate is told about the connection's trouble. */
export interface PeerEvents {
  reconnecting(): void;
  reconnected(): void;
  /** Restarts did not bring it back, or (``replaced``) a newer connection of the interview took over. */
  lost(replaced: boolean): void;
}

export class LivePeer {
  private readonly pc: RTCPeerConnection;
  private peerId: string | null = null;
  private pending: RTCIceCandidateInit[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private negotiating: Promise<void> | null = null;
  private reconnecting: Promise<void> | null = null;
  private graceTimer: number | undefined;
  private closed = false;
  private dtls: RTCDtlsTransport | null = null;

  constructor(private readonly api: Api, stream: MediaStream, iceServers: RTCIceServer[] = [],
              private readonly events?: PeerEvents) {
    this.pc = new RTCPeerConnection({ iceServers });
    stream.getTracks().forEach((track) => this.pc.addTrack(track, stream));
    this.pc.onicecandidate = (event) => {
      if (!event.candidate) return;
      const { candidate, sdpMid, sdpMLineIndex } = event.candidate;
      this.pending.push({ candidate, sdpMid, sdpMLineIndex });
      this.flush();
    };
    this.pc.addEventListener("connectionstatechange", () => this.watch());
  }

  get state(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  /** Offer (or, with ``restart``, offer an ICE restart for the same peer id) and apply the answer; while
   * one negotiation runs, a second call waits for it instead. */
  negotiate(restart = false): Promise<void> {
    this.negotiating ??= this.offer(restart).finally(() => { this.negotiating = null; });
    return this.negotiating;
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.graceTimer);
    this.pc.getSenders().forEach((sender) => sender.track?.stop());
    this.pc.close();
    const peerId = this.peerId;
    this.peerId = null;
    if (peerId) this.api.call("DELETE", `/webrtc/offer/${encodeURIComponent(peerId)}`).catch(() => undefined);
  }

  private async offer(restart: boolean): Promise<void> {
    const offer = await this.pc.createOffer({ iceRestart: restart });
    await this.pc.setLocalDescription(offer);
    const body = { sdp: offer.sdp, type: "offer", ...(this.peerId ? { peer_id: this.peerId, restart } : {}) };
    const answer = await this.api.call<Answer>("POST", "/webrtc/offer", body);
    this.peerId = answer.peer_id;
    await this.pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    this.watchDtls();
    this.flush();
  }

  /** The server ending the connection (DTLS close) is a failure now, not when ICE checks give up later. */
  private watchDtls(): void {
    const dtls = this.pc.getSenders()[0]?.transport;
    if (!dtls || this.dtls === dtls) return;
    this.dtls = dtls;
    dtls.addEventListener("statechange", () => {
      if (dtls.state === "closed" || dtls.state === "failed") this.reconnect(true);
    });
  }

  private watch(): void {
    const state = this.pc.connectionState;
    window.clearTimeout(this.graceTimer);
    if (this.closed || this.reconnecting || !this.peerId) return;
    if (state === "failed") this.reconnect();
    else if (state === "disconnected") this.graceTimer = window.setTimeout(() => this.reconnect(), DISCONNECTED_GRACE_MS);
  }

  private reconnect(ended = false): void {
    if (this.closed || this.reconnecting || (!ended && this.pc.connectionState === "connected")) return;
    this.events?.reconnecting();
    this.reconnecting = this.restartUntilConnected().finally(() => { this.reconnecting = null; });
  }

  private async restartUntilConnected(): Promise<void> {
    for (const wait of RESTART_WAITS_MS) {
      try {
        await this.negotiate(true);
        if (await this.connectedWithin(wait)) {
          if (!this.closed) this.events?.reconnected();
          return;
        }
      } catch (error) {
        if (error instanceof ApiError && error.status < 500) {  // refused, not unavailable: trying again won't help
          if (!this.closed) this.events?.lost(error.code === "peer_replaced");
          return;
        }
        await new Promise((resolve) => window.setTimeout(resolve, wait));  // the server is out of reach
      }
      if (this.closed) return;
    }
    this.events?.lost(false);
  }

  private connectedWithin(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const settle = (): void => {
        const state = this.pc.connectionState;
        if (state !== "connected" && !this.closed && !timedOut) return;
        window.clearTimeout(timer);
        this.pc.removeEventListener("connectionstatechange", settle);
        resolve(state === "connected");
      };
      let timedOut = false;
      const timer = window.setTimeout(() => { timedOut = true; settle(); }, ms);
      this.pc.addEventListener("connectionstatechange", settle);
      settle();
    });
  }

  private flush(): void {
    if (!this.peerId || this.pending.length === 0) return;
    const candidates = this.pending;
    this.pending = [];
    const peerId = this.peerId;
    this.flushing = this.flushing
      .then(() => this.api.call("PATCH", "/webrtc/offer", { peer_id: peerId, candidates }))
      .then(() => undefined, () => undefined);
  }
}
