/** The end: "every question answered" with the finish button, then thanks and, when the organisation
 * shares it, the written feedback on the candidate's answers (never scores). */

import type { CandidateSummary } from "../api";
import { actionButton, h } from "../dom";
import type { Strings } from "../i18n";

export function allAnsweredView(t: Strings, finish: (button: HTMLButtonElement) => void): HTMLElement {
  const button: HTMLButtonElement = actionButton(t.finish, () => finish(button), true);
  return h("section", { part: "step step-all-answered" },
    h("h2", { attrs: { tabindex: "-1" } }, t.allAnswered), h("div", { class: "row" }, button));
}

export class FinishedView {
  readonly element: HTMLElement;
  private readonly summary = h("div", { part: "summary" });

  constructor(private readonly t: Strings) {
    this.element = h("section", { part: "step step-finished" },
      h("h2", { attrs: { tabindex: "-1" } }, t.finishedHeading), h("p", {}, t.finishedText), this.summary);
  }

  waiting(): void {
    this.summary.replaceChildren(h("p", { class: "muted" }, this.t.summaryWaiting));
  }

  later(): void {
    this.summary.replaceChildren(h("p", { class: "muted" }, this.t.summaryLater));
  }

  show(summary: CandidateSummary): void {
    this.summary.replaceChildren(
      h("h3", {}, this.t.summaryHeading),
      h("ul", { class: "feedback" }, ...summary.feedback.map((item) =>
        h("li", {}, h("strong", {}, item.question), h("br"), item.feedback))));
  }
}
