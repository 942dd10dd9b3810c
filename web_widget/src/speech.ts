/** Reading questions aloud with the browser's speech synthesis, when it has one. */

export class ReadAloud {
  muted = false;

  constructor(private readonly lang: string) {}

  get available(): boolean {
    return typeof speechSynthesis !== "undefined";
  }

  /** Read ``text`` aloud now, replacing anything being read. */
  speak(text: string): void {
    if (!this.available) return;
    speechSynthesis.cancel();
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = this.lang;
    speechSynthesis.speak(utterance);
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
    if (muted && this.available) speechSynthesis.cancel();
  }
}
