/** The consent step: the tenant's notice, what is recorded and analysed, and emotion analysis as a
 * separate choice that stays off unless ticked. */

import type { CandidateState } from "../api";
import { h, uid } from "../dom";
import type { Strings } from "../i18n";

export interface ConsentChoice {
  accept: boolean;
  notice_sha256: string;
  recording: boolean;
  transcription: boolean;
  emotion_analysis: boolean;
}

function checkbox(label: string, name: string): [HTMLLabelElement, HTMLInputElement] {
  const input = h("input", { attrs: { type: "checkbox", name } });
  return [h("label", { class: "check" }, input, h("span", {}, label)), input];
}

export function consentView(t: Strings, state: CandidateState, submit: (choice: ConsentChoice) => void,
                            complain: (message: string) => void): HTMLElement {
  const noticeId = uid("notice");
  const [recordingRow, recording] = checkbox(t.consentRecording, "recording");
  const [transcriptionRow, transcription] = checkbox(t.consentTranscription, "transcription");
  const [emotionRow, emotion] = checkbox(t.consentEmotion, "emotion_analysis");
  const [acceptRow, accept] = checkbox(t.consentAccept, "accept");
  accept.setAttribute("aria-describedby", noticeId);
  const form = h("form", {
    on: {
      submit: (event) => {
        event.preventDefault();
        if (!accept.checked) {
          accept.setAttribute("aria-invalid", "true");
          complain(t.consentNeedAccept);
          return;
        }
        submit({ accept: true, notice_sha256: state.consent_notice.sha256, recording: recording.checked,
                 transcription: transcription.checked, emotion_analysis: emotion.checked });
      },
    },
  },
  h("div", { class: "notice", part: "notice", attrs: { id: noticeId, tabindex: "0", role: "region", "aria-label": t.consentHeading } },
    state.consent_notice.text),
  recordingRow, transcriptionRow,
  state.consent_notice.emotion_analysis_offered && emotionRow,
  acceptRow,
  h("div", { class: "row" }, h("button", { class: "primary", part: "button primary-button", attrs: { type: "submit" } },
                                t.consentContinue)));
  return h("section", { part: "step step-consent" },
    h("h2", { attrs: { tabindex: "-1" } }, t.consentHeading), h("p", { class: "muted" }, t.consentIntro), form);
}
