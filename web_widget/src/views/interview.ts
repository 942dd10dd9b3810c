/** The interview step: the question (shown and read aloud), the live transcript, the answer timer, the
 * typed answer with its autosaved draft, and "done answering". */

import type { CandidateQuestion } from "../api";
import { actionButton, h, setUnavailable, uid } from "../dom";
import type { Strings } from "../i18n";
import type { ReadAloud } from "../speech";
import { AnswerTimer, formatSeconds } from "../timer";

const DRAFT_DELAY_MS = 800;
const MAX_ANSWER_CHARS = 20_000;
const LOW_TIME_S = 30;

export interface InterviewActions {
  /** Submit ``text`` as the typed answer to ``question``. */
  submitTyped(question: CandidateQuestion, text: string): void;
  /** The candidate finished speaking their answer to ``question``. */
  doneSpeaking(question: CandidateQuestion): void;
  /** Save the typed answer in progress (typed answers only). */
  saveDraft(question: CandidateQuestion, text: string): void;
  say(message: string): void;
}

export class InterviewView {
  readonly element: HTMLElement;
  readonly heading: HTMLElement;
  question: CandidateQuestion | null = null;
  private readonly progress = h("span", { class: "pill", part: "progress" });
  private readonly clock = h("span", { class: "pill", part: "timer" });
  private readonly text = h("p", { class: "question", part: "question", attrs: { id: uid("question") } });
  private readonly log: HTMLElement;
  private readonly interim = h("p", { class: "interim" });
  private readonly typed: HTMLTextAreaElement;
  private readonly buttons: HTMLButtonElement[] = [];
  private readonly mute: HTMLButtonElement;
  private readonly timer: AnswerTimer;
  private draftTimer: number | undefined;
  private savedText: string | null = "";
  private busy = false;
  private blocked = false;

  constructor(private readonly t: Strings, private readonly speech: ReadAloud, readonly spoken: boolean,
              private readonly total: number, private readonly actions: InterviewActions) {
    const typedId = uid("typed");
    const hintId = uid("hint");
    const logLabel = uid("log");
    this.heading = h("h2", { class: "sr-only", attrs: { tabindex: "-1" } }, t.title);
    this.typed = h("textarea", {
      part: "answer",
      attrs: { id: typedId, maxlength: String(MAX_ANSWER_CHARS), "aria-describedby": hintId, rows: "5" },
      on: { input: () => this.scheduleDraft() },
    });
    this.mute = h("button", { part: "button mute-button", attrs: { type: "button", "aria-pressed": "false" },
                              on: { click: () => this.toggleMute() } }, t.mute);
    this.log = h("div", { class: "log", part: "transcript",
      attrs: { role: "log", "aria-live": "polite", "aria-labelledby": logLabel, tabindex: "0" } });
    this.timer = new AnswerTimer((left) => this.showTime(left), () => this.timeUp());
    const primary = this.button(spoken ? t.doneAnswering : t.submitAnswer, true,
                                () => (spoken ? this.finishSpeaking() : this.submit()));
    this.element = h("section", { part: "step step-interview" }, this.heading,
      h("div", { class: "row spread" }, this.progress, this.clock),
      this.text,
      h("div", { class: "row spread" },
        speech.available && this.mute,
        speech.available && h("button", { class: "link", attrs: { type: "button" },
                                          on: { click: () => this.readAloud(true) } }, t.readAgain)),
      spoken && h("p", { class: "field", attrs: { id: logLabel } }, t.transcript),
      spoken && this.log,
      h("label", { class: "field", attrs: { for: typedId } }, t.typedLabel),
      this.typed,
      h("p", { class: "muted", attrs: { id: hintId } }, spoken ? t.typedHint : ""),
      h("div", { class: "row" }, primary, spoken && this.button(t.submitTyped, false, () => this.submit())));
    if (!spoken) this.log.remove();
  }

  /** Show ``question`` with ``draft`` in the answer box (the box keeps its text for the same question). */
  show(question: CandidateQuestion, draft: string): void {
    const same = this.question?.id === question.id;
    this.question = question;
    this.busy = false;
    this.timer.start(question.clock);
    if (same) {
      this.refreshButtons();
      return;
    }
    window.clearTimeout(this.draftTimer);
    this.progress.textContent = this.t.questionOf(question.number, Math.max(this.total, question.number));
    this.text.textContent = question.text;
    this.typed.value = this.savedText = draft;
    this.log.replaceChildren();
    this.interim.textContent = "";
    this.refreshButtons();
    this.readAloud(false);
  }

  /** Live transcript text for the current question (interim lines are replaced, final ones kept). */
  transcript(text: string, final: boolean): void {
    if (final) {
      this.interim.remove();
      this.interim.textContent = "";
      this.log.append(h("p", {}, text));
    } else {
      this.interim.textContent = text;
      this.log.append(this.interim);
    }
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** Answers cannot be sent (offline, paused) until unblocked; typing and drafts go on. */
  setBlocked(blocked: boolean): void {
    this.blocked = blocked;
    this.refreshButtons();
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.refreshButtons();
  }

  get answerText(): string {
    return this.typed.value;
  }

  /** Save the draft now if it changed since the last save (e.g. after reconnecting). */
  flushDraft(): void {
    if (this.spoken) return;
    window.clearTimeout(this.draftTimer);
    const question = this.question;
    if (question && this.typed.value !== this.savedText) {
      this.savedText = this.typed.value;
      this.actions.saveDraft(question, this.typed.value);
    }
  }

  /** The draft save failed; try again at the next chance. */
  draftUnsaved(): void {
    this.savedText = null;
  }

  dispose(): void {
    this.timer.stop();
    window.clearTimeout(this.draftTimer);
    this.speech.setMuted(true);
  }

  private button(label: string, primary: boolean, click: () => void): HTMLButtonElement {
    const button = actionButton(label, click, primary);
    this.buttons.push(button);
    return button;
  }

  private refreshButtons(): void {
    for (const button of this.buttons) setUnavailable(button, this.busy || this.blocked || this.question === null);
    this.typed.readOnly = this.busy;
  }

  private scheduleDraft(): void {
    if (this.spoken) return;  // the server keeps a spoken answer's transcript as the draft: never overwrite it
    window.clearTimeout(this.draftTimer);
    this.draftTimer = window.setTimeout(() => this.flushDraft(), DRAFT_DELAY_MS);
  }

  private submit(): void {
    const text = this.typed.value.trim();
    if (!text) {
      this.actions.say(this.t.emptyAnswer);
      return;
    }
    if (this.question) this.actions.submitTyped(this.question, text);
  }

  private finishSpeaking(): void {
    if (this.typed.value.trim()) this.submit();
    else if (this.question) this.actions.doneSpeaking(this.question);
  }

  private timeUp(): void {
    if (this.busy || this.blocked || !this.question) return;
    this.actions.say(this.t.timeUp);
    if (this.typed.value.trim()) this.submit();
    else if (this.spoken) this.actions.doneSpeaking(this.question);
  }

  private showTime(left: number | null): void {
    this.clock.textContent = left === null ? this.t.noTimeLimit : this.t.timeLeft(formatSeconds(left));
    this.clock.classList.toggle("low", left !== null && left <= LOW_TIME_S);
  }

  private toggleMute(): void {
    const muted = !this.speech.muted;
    this.speech.setMuted(muted);
    this.mute.setAttribute("aria-pressed", String(muted));
  }

  private readAloud(again: boolean): void {
    if (this.question && (again || !this.speech.muted)) this.speech.speak(this.question.text);
  }
}
