/** Registers `<interview-widget>` (once, even if the script is loaded twice). */

import { InterviewWidget } from "./element";

if (!customElements.get("interview-widget")) customElements.define("interview-widget", InterviewWidget);

export { InterviewWidget };
