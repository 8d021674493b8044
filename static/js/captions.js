// Tutor captions shown when their audio plays. A caption's `start_ms` is its
// position in this connection's downstream audio (ms of tutor audio sent
// before its first sample); without it the caption belongs to the next audio
// to arrive. The playout position is what has been received minus what is
// still buffered.

export class CaptionTrack {
  constructor(element) {
    this.element = element;
    this.pending = []; // [{dueMs, text}] in arrival order
    this.receivedMs = 0;
  }

  newConnection() {
    this.receivedMs = 0;
    this.pending = [];
  }

  received(ms) {
    this.receivedMs += ms;
  }

  add({ text = "", start_ms: startMs }) {
    const dueMs = Number.isFinite(startMs) ? startMs : this.receivedMs;
    this.pending.push({ dueMs, text: String(text) });
  }

  clear() {
    this.pending = [];
  }

  // Called with the playback buffer depth whenever the worklet reports it.
  tick(bufferedMs) {
    const position = this.receivedMs - bufferedMs;
    let shown = null;
    while (this.pending.length && this.pending[0].dueMs <= position) shown = this.pending.shift();
    if (shown) {
      this.element.textContent = shown.text;
      this.element.hidden = false;
    }
  }
}
