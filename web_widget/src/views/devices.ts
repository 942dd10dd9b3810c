/** The device check: camera preview, microphone level, a choice of devices, and a way out to typed
 * answers when the devices are denied, missing or troublesome. */

import { h, uid } from "../dom";
import type { Strings } from "../i18n";
import { DeviceError, LevelMeter, listDevices, openDevices, stopStream } from "../media";

export interface DeviceOutcome {
  /** The open camera and microphone, or null for typed answers only. */
  stream: MediaStream | null;
}

export class DeviceCheck {
  readonly element: HTMLElement;
  private stream: MediaStream | null = null;
  private meter: LevelMeter | null = null;
  private readonly video = h("video", { part: "preview", attrs: { autoplay: "", playsinline: "", "aria-label": "" } });
  private readonly level = h("span");
  private readonly levelBox: HTMLElement;
  private readonly cameras: HTMLSelectElement;
  private readonly mics: HTMLSelectElement;
  private readonly message = h("div", { attrs: { role: "alert" } });
  private readonly starting: HTMLParagraphElement;
  private disposed = false;
  private readonly start: HTMLButtonElement;
  private readonly body: HTMLElement;

  constructor(private readonly t: Strings, private readonly done: (outcome: DeviceOutcome) => void) {
    this.video.muted = true;
    this.video.setAttribute("aria-label", t.preview);
    this.levelBox = h("div", { class: "meter", part: "meter",
      attrs: { role: "meter", "aria-label": t.micLevel, "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" } },
      this.level);
    const cameraId = uid("camera");
    const micId = uid("mic");
    this.cameras = h("select", { attrs: { id: cameraId }, on: { change: () => void this.open() } });
    this.mics = h("select", { attrs: { id: micId }, on: { change: () => void this.open() } });
    this.starting = h("p", { class: "muted" }, t.devicesStarting);
    this.start = h("button", { class: "primary", part: "button primary-button",
      attrs: { type: "button", disabled: "" }, on: { click: () => this.finish(true) } }, t.devicesContinue);
    this.body = h("div", { class: "frame" }, h("div", { class: "devices" },
      h("div", {}, this.video),
      h("div", {},
        h("label", { class: "field", attrs: { for: cameraId } }, t.camera), this.cameras,
        h("label", { class: "field", attrs: { for: micId } }, t.microphone), this.mics,
        h("p", { class: "field muted", attrs: { "aria-hidden": "true" } }, t.micLevel), this.levelBox)));
    this.element = h("section", { part: "step step-devices" },
      h("h2", { attrs: { tabindex: "-1" } }, t.devicesHeading),
      h("p", { class: "muted" }, t.devicesIntro),
      this.starting, this.message, this.body,
      h("div", { class: "row" }, this.start,
        h("button", { class: "link", attrs: { type: "button" }, on: { click: () => this.finish(false) } }, t.devicesTrouble)));
    void this.open();
  }

  /** Open (or reopen with the chosen devices) the camera and microphone. */
  private async open(): Promise<void> {
    this.release();
    try {
      this.stream = await openDevices(this.cameras.value || undefined, this.mics.value || undefined);
    } catch (error) {
      this.denied(error instanceof DeviceError ? error.problem : "denied");
      return;
    }
    if (this.disposed) {
      this.release();
      return;
    }
    this.video.srcObject = this.stream;
    this.meter = new LevelMeter(this.stream, (level) => {
      this.level.style.setProperty("--iw-level", level.toFixed(3));
      this.levelBox.setAttribute("aria-valuenow", String(Math.round(level * 100)));
    });
    await this.fillChoices();
    this.starting.hidden = true;
    this.start.disabled = false;
  }

  private async fillChoices(): Promise<void> {
    const current = this.stream?.getTracks().map((track) => track.getSettings().deviceId) ?? [];
    for (const [select, kind] of [[this.cameras, "videoinput"], [this.mics, "audioinput"]] as const) {
      const devices = await listDevices(kind);
      select.replaceChildren(...devices.map((device, i) => {
        const option = h("option", { attrs: { value: device.deviceId } }, device.label || `${select === this.cameras ? this.t.camera : this.t.microphone} ${i + 1}`);
        option.selected = current.includes(device.deviceId);
        return option;
      }));
    }
  }

  private denied(problem: "denied" | "unsupported"): void {
    this.body.hidden = this.start.hidden = this.starting.hidden = true;
    this.message.replaceChildren(
      h("p", { class: "alert" }, problem === "denied" ? this.t.devicesDenied : this.t.devicesUnsupported),
      h("button", { class: "primary", part: "button primary-button", attrs: { type: "button" },
                    on: { click: () => this.finish(false) } }, this.t.typedContinue));
  }

  private finish(withDevices: boolean): void {
    const stream = withDevices ? this.stream : null;
    if (!withDevices) stopStream(this.stream);
    this.stream = null;
    this.release();
    this.done({ stream });
  }

  private release(): void {
    this.meter?.stop();
    this.meter = null;
    stopStream(this.stream);
    this.stream = null;
    this.video.srcObject = null;
  }

  /** Stop everything (the widget was removed from the page). */
  dispose(): void {
    this.disposed = true;
    this.release();
  }
}
