/** `<interview-widget server token lang>`: one candidate's interview, from consent to the end.
 *
 * It talks only to the reference server's public candidate API, its event WebSocket and its WebRTC
 * signalling. It never moves focus out of the host page's control (focus moves only when it is already
 * inside the widget), never parses server text as HTML, and keeps the answer in progress through
 * network loss. Host page events (bubbling, composed): interview-started, question,
 * interview-finished ({interviewId, reportId}), error ({code, message}). */

import { AnswerAccepted, Api, ApiError, CandidateQuestion, CandidateState, NetworkError } from "./api";
import { h, setUnavailable } from "./dom";
import { Lang, speechLang, strings, Strings } from "./i18n";
import { stopStream } from "./media";
import { LivePeer } from "./peer";
import { EventSocket, ServerEvent } from "./socket";
import { ReadAloud } from "./speech";
import { widgetStyles } from "./styles";
import { ConsentChoice, consentView } from "./views/consent";
import { DeviceCheck, DeviceOutcome } from "./views/devices";
import { allAnsweredView, FinishedView } from "./views/finish";
import { InterviewView } from "./views/interview";

const RECOVER_EVERY_MS = 2000;
const SUMMARY_POLL_MS = 2000;
const SUMMARY_POLLS = 30;

/** The subject (interview id) of a candidate token, read without verifying it (the server verifies). */
function tokenSubject(token: string): string | null {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const claims = JSON.parse(atob(payload + "=".repeat((4 - (payload.length % 4)) % 4)));
    return typeof claims.sub === "string" ? claims.sub : null;
  } catch {
    return null;
  }
}

export class InterviewWidget extends HTMLElement {
  static observedAttributes = ["server", "token", "lang"];

  private readonly root: ShadowRoot;
  private readonly card = h("div", { class: "card", part: "container" });
  private readonly banner = h("p", { class: "banner", part: "banner", attrs: { hidden: "" } });
  private readonly status = h("p", { class: "status", part: "status", attrs: { role: "status", "aria-live": "polite" } });
  private readonly view = h("div");
  private t: Strings = strings("en");
  private api: Api | null = null;
  private socket: EventSocket | null = null;
  private stream: MediaStream | null = null;
  private peer: LivePeer | null = null;
  private speech = new ReadAloud("en-US");
  private devices: DeviceCheck | null = null;
  private interview: InterviewView | null = null;
  private state: CandidateState | null = null;
  private refreshTimer: number | undefined;
  private recoverTimer: number | undefined;
  private offline = false;
  private started = false;
  private finished = false;
  private generation = 0;
  private live = false;
  private readonly goOffline = () => this.lost();
  private readonly goOnline = () => void this.recover();

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
    this.root.adoptedStyleSheets = [widgetStyles()];
    this.card.append(this.banner, this.view, this.status);
    this.root.append(this.card);
  }

  connectedCallback(): void {
    this.live = true;
    window.addEventListener("offline", this.goOffline);
    window.addEventListener("online", this.goOnline);
    void this.begin();
  }

  disconnectedCallback(): void {
    this.live = false;
    window.removeEventListener("offline", this.goOffline);
    window.removeEventListener("online", this.goOnline);
    this.teardown();
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null): void {
    if (!this.live || previous === value) return;  // the first values are read when connected
    if (name === "token" && this.api && value) this.api.token = value;  // the host handed a fresh token
    else if (name !== "token") void this.begin();
  }

  // lifecycle

  private async begin(): Promise<void> {
    this.teardown();
    this.offline = this.finished = false;
    this.banner.hidden = true;
    const generation = ++this.generation;
    this.t = strings(this.getAttribute("lang"));
    const server = (this.getAttribute("server") ?? "").replace(/\/+$/, "");
    const token = this.getAttribute("token") ?? "";
    const interviewId = this.getAttribute("interview") ?? tokenSubject(token);
    if (!server || !token) {
      this.fail("not_configured", this.t.notConfigured, false);
      return;
    }
    if (!interviewId) {
      this.fail("invalid_token", this.t.tokenInvalid, false);
      return;
    }
    this.api = new Api(server, interviewId, token);
    this.swap(h("p", {}, this.t.loading));
    let state: CandidateState;
    try {
      state = await this.api.state();
    } catch (error) {
      if (generation === this.generation) this.failWith(error);
      return;
    }
    if (generation !== this.generation) return;
    this.state = state;
    const lang = (this.getAttribute("lang") ?? state.language) as Lang;
    this.t = strings(lang);
    this.card.lang = lang === "ko" ? "ko" : "en";
    this.speech = new ReadAloud(speechLang(lang));
    this.scheduleRefresh(state.token_expires_at);
    this.socket = new EventSocket(`${server.replace(/^http/, "ws")}/v1/interviews/${encodeURIComponent(interviewId)}/events`,
      () => this.api?.token ?? "", {
        event: (event) => this.onEvent(event),
        lost: () => this.lost(),
        refused: () => this.onRefused(),
      });
    if (state.state === "finished") this.showFinished(null);
    else if (state.state === "awaiting_consent") this.showConsent(state);
    else {
      this.announceStarted();
      if (state.consent?.transcription) this.showDevices();
      else void this.enterInterview({ stream: null });
    }
  }

  private teardown(): void {
    this.generation += 1;
    window.clearTimeout(this.refreshTimer);
    window.clearInterval(this.recoverTimer);
    this.recoverTimer = undefined;
    this.socket?.close();
    this.socket = null;
    this.peer?.close();
    this.peer = null;
    stopStream(this.stream);
    this.stream = null;
    this.devices?.dispose();
    this.devices = null;
    this.interview?.dispose();
    this.interview = null;
  }

  // steps

  private showConsent(state: CandidateState): void {
    this.swap(consentView(this.t, state, (choice) => void this.consent(choice), (message) => this.say(message)));
  }

  private async consent(choice: ConsentChoice): Promise<void> {
    const api = this.api;
    if (!api) return;
    try {
      this.state = await api.consent(choice);
    } catch (error) {
      this.report(error);
      return;
    }
    this.announceStarted();
    if (choice.transcription) this.showDevices();
    else void this.enterInterview({ stream: null });
  }

  private showDevices(): void {
    this.devices = new DeviceCheck(this.t, (outcome) => {
      this.devices = null;
      void this.enterInterview(outcome);
    });
    this.swap(this.devices.element);
  }

  private async enterInterview(outcome: DeviceOutcome): Promise<void> {
    const api = this.api;
    const state = this.state;
    if (!api || !state) return;
    this.stream = outcome.stream;
    let spoken = outcome.stream !== null;
    if (outcome.stream) {
      this.peer = new LivePeer(api, outcome.stream, state.ice_servers ?? [], {
        reconnecting: () => this.say(this.t.speechReconnecting),
        reconnected: () => this.say(this.t.reconnected),
        lost: (replaced) => this.say(replaced ? this.t.speechElsewhere : this.t.speechOff),
      });
      try {
        await this.peer.negotiate();
      } catch {
        this.peer.close();
        this.peer = null;
        stopStream(this.stream);
        this.stream = null;
        spoken = false;
        this.say(this.t.speechOff);
      }
    }
    this.interview = new InterviewView(this.t, this.speech, spoken, state.question_count, {
      submitTyped: (question, text) => void this.submitTyped(question, text),
      doneSpeaking: () => void this.doneSpeaking(),
      saveDraft: (question, text) => void this.saveDraft(question, text),
      say: (message) => this.say(message),
    });
    this.swap(this.interview.element, this.interview.heading);
    try {
      await this.sync();
    } catch (error) {
      this.report(error);
      return;
    } finally {
      this.socket?.open();  // after the question is known, so the replayed transcript finds its question
    }
    if (spoken && !this.finished) this.say(this.t.listening);
  }

  /** Bring the widget in line with the server: the current question (keeping the typed text for the
   * same question), or the end. */
  private async sync(): Promise<void> {
    const api = this.api;
    const view = this.interview;
    if (!api || !view) return;
    const state = await api.state();
    this.state = state;
    if (state.state === "finished") {
      this.showFinished(null);
      return;
    }
    const question = state.current_question;
    if (question === null) {
      this.showAllAnswered();
      return;
    }
    view.setBlocked(state.state === "paused" || this.offline);
    if (view.question?.id === question.id) {
      view.show(question, view.answerText);
      view.flushDraft();
      return;
    }
    // In a spoken answer the server keeps the transcript so far as the draft (the socket replays it into
    // the transcript); only a typed answer's draft belongs in the answer box.
    const draft = !view.spoken && state.draft?.question_id === question.id ? state.draft.text : "";
    this.showQuestion(view, question, draft);
  }

  private showQuestion(view: InterviewView, question: CandidateQuestion, draft: string): void {
    view.show(question, draft);
    this.emit("question", { id: question.id, number: question.number, text: question.text, kind: question.kind });
  }

  private async submitTyped(question: CandidateQuestion, text: string): Promise<void> {
    const api = this.api;
    const view = this.interview;
    if (!api || !view) return;
    await this.recordAnswer(view, () => api.answer(question.id, text));
  }

  private async doneSpeaking(): Promise<void> {
    const api = this.api;
    const view = this.interview;
    if (api && view) await this.recordAnswer(view, () => api.doneSpeaking());
  }

  /** Send an answer (typed, or "done" for the spoken one) and show the next question or the end. */
  private async recordAnswer(view: InterviewView, send: () => Promise<AnswerAccepted>): Promise<void> {
    view.setBusy(true);
    try {
      const accepted = await send();
      if (accepted.next_question) this.showQuestion(view, accepted.next_question, "");
      else this.showAllAnswered();
      this.say(this.t.answerSent);
    } catch (error) {
      this.report(error);
      if (error instanceof ApiError) await this.sync().catch(() => undefined);
    } finally {
      view.setBusy(false);
    }
  }

  private async saveDraft(question: CandidateQuestion, text: string): Promise<void> {
    try {
      await this.api?.saveDraft(question.id, text);
      this.say(this.t.draftSaved);
    } catch (error) {
      this.interview?.draftUnsaved();
      if (!(error instanceof ApiError && error.code === "wrong_question")) this.report(error);
    }
  }

  private showAllAnswered(): void {
    this.interview?.dispose();
    this.interview = null;
    this.swap(allAnsweredView(this.t, (button) => void this.finish(button)));
  }

  private async finish(button: HTMLButtonElement): Promise<void> {
    const api = this.api;
    if (!api) return;
    setUnavailable(button, true);
    try {
      const result = await api.finish();
      this.showFinished(result.summary?.token ?? null);
    } catch (error) {
      setUnavailable(button, false);
      this.report(error);
    }
  }

  private showFinished(summaryToken: string | null): void {
    if (this.finished) return;
    this.finished = true;
    const interviewId = this.api?.interviewId;
    this.teardown();
    const view = new FinishedView(this.t);
    this.swap(view.element);
    this.emit("interview-finished", { interviewId, reportId: interviewId });
    if (summaryToken) void this.pollSummary(view, summaryToken);
  }

  private async pollSummary(view: FinishedView, token: string): Promise<void> {
    view.waiting();
    for (let i = 0; i < SUMMARY_POLLS; i += 1) {
      try {
        view.show(await this.api!.summary(token));
        return;
      } catch (error) {
        if (!(error instanceof ApiError && error.code === "report_not_ready") && !(error instanceof NetworkError)) break;
      }
      await new Promise((resolve) => window.setTimeout(resolve, SUMMARY_POLL_MS));
    }
    view.later();
  }

  // events from the server

  private onEvent(event: ServerEvent): void {
    const view = this.interview;
    const data = event.data ?? {};
    const forOther = typeof data.question_id === "string" && data.question_id !== view?.question?.id;
    switch (event.type) {
      case "transcript.interim":
      case "transcript.final":
        if (view && !forOther && typeof data.text === "string") view.transcript(data.text, event.type === "transcript.final");
        break;
      case "question.asked":
      case "answer.recorded":
        if (view && (event.type === "question.asked" ? forOther : !forOther)) void this.sync().catch(() => undefined);
        break;
      case "interview.paused":
        this.say(this.t.paused);
        view?.setBlocked(true);
        break;
      case "interview.resumed":
        view?.setBlocked(this.offline);
        void this.sync().catch(() => undefined);
        break;
      case "interview.finished":
        if (!this.finished && view) void this.sync().catch(() => undefined);
        break;
    }
  }

  private onRefused(): void {
    if (!this.finished) this.fail("unauthenticated", this.t.tokenExpired, false);
  }

  // network loss and recovery

  private lost(): void {
    if (this.finished || this.offline || !this.api) return;
    this.offline = true;
    this.banner.textContent = this.t.reconnecting;
    this.banner.hidden = false;
    this.say(this.t.reconnecting);
    this.interview?.setBlocked(true);
    this.recoverTimer = window.setInterval(() => void this.recover(), RECOVER_EVERY_MS);
  }

  private async recover(): Promise<void> {
    if (!this.offline || !this.api) return;
    try {
      await this.api.state();
    } catch {
      return;
    }
    if (!this.offline) return;
    this.offline = false;
    window.clearInterval(this.recoverTimer);
    this.recoverTimer = undefined;
    this.banner.hidden = true;
    this.socket?.reconnect();
    if (this.peer) this.peer.negotiate(true).catch(() => this.say(this.t.speechOff));
    if (this.interview) {
      this.interview.setBlocked(false);
      await this.sync().catch(() => undefined);
    }
    this.say(this.t.reconnected);
  }

  // the token

  private scheduleRefresh(expiresAt: string): void {
    window.clearTimeout(this.refreshTimer);
    const left = Date.parse(expiresAt) - Date.now();
    const delay = left > 120_000 ? left - 60_000 : Math.max(1000, left / 2);
    this.refreshTimer = window.setTimeout(() => void this.refreshToken(), delay);
  }

  private async refreshToken(): Promise<void> {
    const api = this.api;
    if (!api || this.finished) return;
    try {
      const access = await api.refresh();
      api.token = access.token;
      this.socket?.reauthenticate();
      this.scheduleRefresh(access.expires_at);
    } catch (error) {
      if (error instanceof NetworkError) this.refreshTimer = window.setTimeout(() => void this.refreshToken(), 5000);
      else this.report(error);
    }
  }

  // showing things

  /** Show ``content``; focus follows only when it was inside the widget (never taken from the host). */
  private swap(content: HTMLElement, focusTarget?: HTMLElement): void {
    if (this.view.firstChild === content) return;
    const hadFocus = this.root.activeElement !== null;
    this.view.replaceChildren(content);
    if (hadFocus) (focusTarget ?? content.querySelector<HTMLElement>("h2") ?? content).focus();
  }

  private say(message: string): void {
    this.status.textContent = message;
  }

  private announceStarted(): void {
    if (this.started) return;
    this.started = true;
    this.emit("interview-started", { interviewId: this.api?.interviewId });
  }

  /** An error the candidate can recover from is shown in the status; a network error starts reconnecting. */
  private report(error: unknown): void {
    if (error instanceof NetworkError) {
      this.lost();
      return;
    }
    if (error instanceof ApiError && error.status === 401) {
      this.fail(error.code, this.t.tokenExpired, false);
      return;
    }
    const code = error instanceof ApiError ? error.code : "client_error";
    const message = error instanceof Error ? error.message : String(error);
    this.say(message);
    this.emit("error", { code, message });
  }

  private failWith(error: unknown): void {
    if (error instanceof ApiError) this.fail(error.code, error.status === 401 ? this.t.tokenExpired : error.message, error.status >= 500);
    else this.fail("network_error", String(error), true);
  }

  private fail(code: string, message: string, retry: boolean): void {
    this.teardown();
    this.swap(h("section", { part: "step step-error" },
      h("h2", { attrs: { tabindex: "-1" } }, this.t.errorHeading),
      h("p", { class: "alert", attrs: { role: "alert" } }, message),
      retry && h("div", { class: "row" }, h("button", { part: "button", attrs: { type: "button" },
                                                        on: { click: () => void this.begin() } }, this.t.retry))));
    this.emit("error", { code, message });
  }

  private emit(type: string, detail: object): void {
    this.dispatchEvent(new CustomEvent(type, { bubbles: true, composed: true, detail }));
  }
}
