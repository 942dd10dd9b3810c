/** A tiny element builder. Text is always inserted as text nodes, never parsed as HTML. */

type Child = Node | string | null | undefined | false;
type Props = {
  class?: string;
  part?: string;
  attrs?: Record<string, string>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
};

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K, props: Props = {}, ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.part) el.setAttribute("part", props.part);
  for (const [name, value] of Object.entries(props.attrs ?? {})) el.setAttribute(name, value);
  for (const [type, handler] of Object.entries(props.on ?? {})) el.addEventListener(type, handler as EventListener);
  for (const child of children) {
    if (child) el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

let counter = 0;

/** A document-unique id for label/for and aria references inside the shadow root. */
export function uid(prefix: string): string {
  counter += 1;
  return `iw-${prefix}-${counter}`;
}

/** A button that stays focusable while unavailable (aria-disabled), so a keyboard user's focus is never
 * dropped to the page when the button waits for the server. Clicks while unavailable are ignored. */
export function actionButton(label: string, click: () => void, primary = false): HTMLButtonElement {
  const button = h("button", { class: primary ? "primary" : "", part: primary ? "button primary-button" : "button",
                               attrs: { type: "button" } }, label);
  button.addEventListener("click", () => {
    if (button.getAttribute("aria-disabled") !== "true") click();
  });
  return button;
}

export function setUnavailable(button: HTMLButtonElement, unavailable: boolean): void {
  if (unavailable) button.setAttribute("aria-disabled", "true");
  else button.removeAttribute("aria-disabled");
}
