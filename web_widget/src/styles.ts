/** The widget's look: one constructable stylesheet adopted by the shadow root (no inline styles, so it
 * works under a strict Content-Security-Policy). Every size is in em from the pixel font size on :host,
 * so the host page's root font size cannot shrink it. Theme with the --iw-* custom properties and ::part. */

const CSS = `
:host {
  all: initial !important;
  display: block !important;
  box-sizing: border-box !important;
  font-size: var(--iw-font-size, 16px) !important;
  font-family: var(--iw-font-family, system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Apple SD Gothic Neo", sans-serif) !important;
  line-height: 1.5 !important;
  color: var(--iw-fg, #f1f5f9) !important;
  max-width: 100% !important;
  min-width: 0 !important;
}
:host([hidden]) { display: none !important; }
*, *::before, *::after { box-sizing: border-box; }
.card {
  position: relative;
  padding: 1.25em;
  border-radius: var(--iw-radius, 1.25em);
  background: var(--iw-bg, linear-gradient(145deg, rgba(30, 27, 75, 0.92), rgba(15, 23, 42, 0.94)));
  border: 0.0625em solid var(--iw-border, rgba(255, 255, 255, 0.16));
  box-shadow: 0 1.5em 3em rgba(2, 6, 23, 0.45), inset 0 0.0625em 0 rgba(255, 255, 255, 0.08);
  backdrop-filter: blur(1.25em) saturate(140%);
  -webkit-backdrop-filter: blur(1.25em) saturate(140%);
  overflow-wrap: anywhere;
}
h2 { font-size: 1.25em; line-height: 1.3; margin: 0 0 0.5em; font-weight: 650; }
h2:focus { outline: none; }
p { margin: 0 0 0.75em; }
.muted { color: var(--iw-muted, #cbd5e1); font-size: 0.9375em; }
.notice {
  white-space: pre-wrap; max-height: 12em; overflow: auto; padding: 0.75em; margin: 0 0 1em;
  border-radius: 0.75em; background: rgba(15, 23, 42, 0.6); border: 0.0625em solid rgba(255, 255, 255, 0.1);
  font-size: 0.9375em;
}
.check { display: flex; gap: 0.625em; align-items: flex-start; margin: 0 0 0.75em; cursor: pointer; }
.check input { width: 1.25em; height: 1.25em; margin: 0.125em 0 0; flex: none; accent-color: var(--iw-accent, #818cf8); }
.row { display: flex; flex-wrap: wrap; gap: 0.625em; align-items: center; margin-top: 1em; }
.spread { justify-content: space-between; margin-top: 0; margin-bottom: 0.75em; }
button, select, textarea { font: inherit; color: inherit; }
button {
  min-height: 2.75em; padding: 0.5em 1.1em; border-radius: 0.75em; cursor: pointer;
  background: rgba(255, 255, 255, 0.1); border: 0.0625em solid rgba(255, 255, 255, 0.22); color: var(--iw-fg, #f1f5f9);
}
button:hover { background: rgba(255, 255, 255, 0.16); }
button.primary { background: var(--iw-accent-strong, #4f46e5); border-color: transparent; color: #fff; font-weight: 600; }
button.primary:hover { filter: brightness(1.1); }
button:disabled, button[aria-disabled="true"] { opacity: 0.55; cursor: not-allowed; }
button:focus-visible, select:focus-visible, textarea:focus-visible, input:focus-visible, .log:focus-visible {
  outline: 0.1875em solid var(--iw-focus, #fbbf24); outline-offset: 0.125em;
}
.link { background: none; border: none; padding: 0.5em 0; min-height: 0; text-decoration: underline; color: var(--iw-link, #c7d2fe); }
select {
  width: 100%; min-height: 2.75em; padding: 0.4em 0.6em; border-radius: 0.6em;
  background: rgba(15, 23, 42, 0.85); border: 0.0625em solid rgba(255, 255, 255, 0.22);
}
label.field { display: block; margin: 0.75em 0 0.25em; font-weight: 600; font-size: 0.9375em; }
.devices { display: grid; gap: 1em; grid-template-columns: minmax(0, 1fr); }
@container (min-width: 36em) { .devices { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); } }
.frame { container-type: inline-size; }
video {
  display: block; width: 100%; aspect-ratio: 4 / 3; object-fit: cover; border-radius: 0.875em;
  background: #020617; transform: scaleX(-1);
}
.meter { height: 0.75em; border-radius: 1em; background: rgba(255, 255, 255, 0.12); overflow: hidden; margin-top: 0.25em; }
.meter > span {
  display: block; height: 100%; width: calc(var(--iw-level, 0) * 100%);
  background: linear-gradient(90deg, #34d399, #a3e635); transition: width 0.1s linear;
}
.question { font-size: 1.25em; line-height: 1.45; margin: 0 0 1em; font-weight: 600; white-space: pre-wrap; }
.pill {
  display: inline-block; padding: 0.2em 0.7em; border-radius: 1em; font-size: 0.875em;
  background: rgba(255, 255, 255, 0.1); border: 0.0625em solid rgba(255, 255, 255, 0.14);
}
.pill.low { background: rgba(220, 38, 38, 0.35); }
.log {
  min-height: 4em; max-height: 10em; overflow: auto; padding: 0.75em; border-radius: 0.75em;
  background: rgba(2, 6, 23, 0.55); border: 0.0625em solid rgba(255, 255, 255, 0.1);
}
.log p { margin: 0 0 0.25em; white-space: pre-wrap; }
.log .interim { color: var(--iw-muted, #cbd5e1); font-style: italic; }
textarea {
  display: block; width: 100%; min-height: 7em; resize: vertical; padding: 0.75em; border-radius: 0.75em;
  background: rgba(2, 6, 23, 0.6); border: 0.0625em solid rgba(255, 255, 255, 0.22); line-height: 1.5;
}
.status { min-height: 1.5em; margin-top: 0.75em; font-size: 0.9375em; color: var(--iw-muted, #cbd5e1); }
.banner {
  margin: 0 0 1em; padding: 0.625em 0.875em; border-radius: 0.75em; font-weight: 600;
  background: rgba(180, 83, 9, 0.4); border: 0.0625em solid rgba(251, 191, 36, 0.5);
}
.banner[hidden] { display: none; }
.alert { padding: 0.75em; border-radius: 0.75em; background: rgba(153, 27, 27, 0.45); border: 0.0625em solid rgba(248, 113, 113, 0.5); }
ul.feedback { margin: 0; padding-left: 1.25em; }
ul.feedback li { margin-bottom: 0.75em; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (prefers-reduced-motion: reduce) { .meter > span { transition: none; } }
`;

let sheet: CSSStyleSheet | null = null;

/** The shared stylesheet (built once per page). */
export function widgetStyles(): CSSStyleSheet {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}
