// Tutor voice playout: a small jitter buffer in front of the speakers.
// Audio arrives as PCM16 at the downstream rate the server declared, is
// resampled to the AudioContext rate, and waits until `targetMs` is buffered
// before playing (again after every underrun). A `flush` empties the buffer at
// once: that is how barge-in silences the tutor within one render quantum.

import { StreamResampler, int16ToFloat32 } from "./resampler.js";

const STATS_EVERY_MS = 50;
// Latency control: a rebuffer after an underrun adds delay that a continuous
// stream never gives back. Once a second, the least the buffer held in that
// second, less the target and SLACK_MS (room for the server's send-ahead), is
// delay nobody needs; it is removed by skipping quiet render quanta, where
// dropping audio cannot be heard.
const SLACK_MS = 60;
const QUIET = 0.003; // about -50 dBFS

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const { targetMs = 80, maxMs = 1000, inputRate = 16000 } = options.processorOptions || {};
    this.targetMs = targetMs;
    this.maxMs = maxMs;
    this.ring = new Float32Array(Math.ceil(sampleRate * 4));
    this.read = 0;
    this.size = 0;
    this.playing = false;
    this.counters = {
      playedSamples: 0,
      receivedFrames: 0,
      underruns: 0,
      flushes: 0,
      flushedMs: 0,
      overflowMs: 0,
      skippedMs: 0,
    };
    this.windowMin = Infinity;
    this.windowSamples = 0;
    this.excess = 0; // samples of unneeded delay still to skip
    this._setRate(inputRate);
    this.sinceStats = 0;
    this.port.onmessage = ({ data }) => this._onMessage(data);
  }

  _setRate(rate) {
    this.inputRate = rate;
    this.resampler = new StreamResampler(rate, sampleRate);
  }

  _ms(samples) {
    return (samples / sampleRate) * 1000;
  }

  _onMessage(data) {
    if (data.type === "pcm") {
      if (data.rate && data.rate !== this.inputRate) this._setRate(data.rate);
      this.counters.receivedFrames++;
      this._push(this.resampler.process(int16ToFloat32(data.samples)));
    } else if (data.type === "flush") {
      const flushedMs = this._ms(this.size);
      this.size = 0;
      this.playing = false;
      this.excess = 0;
      this.resampler.reset();
      this.counters.flushes++;
      this.counters.flushedMs += flushedMs;
      this.port.postMessage({ ...this._stats(), type: "flushed", flushedMs });
    } else if (data.type === "config") {
      if (data.rate) this._setRate(data.rate);
      if (data.targetMs) this.targetMs = data.targetMs;
    }
  }

  _push(samples) {
    const capacity = this.ring.length;
    for (let i = 0; i < samples.length; i++) {
      if (this.size === capacity) {
        this.read = (this.read + 1) % capacity;
        this.size--;
      }
      this.ring[(this.read + this.size) % capacity] = samples[i];
      this.size++;
    }
    // Bound the delay: if the buffer grew past maxMs, skip to targetMs behind the newest audio.
    const max = Math.round((this.maxMs / 1000) * sampleRate);
    if (this.size > max) {
      const keep = Math.round((this.targetMs / 1000) * sampleRate);
      const drop = this.size - keep;
      this.read = (this.read + drop) % capacity;
      this.size = keep;
      this.counters.overflowMs += this._ms(drop);
    }
  }

  _stats() {
    return {
      type: "stats",
      bufferedMs: this._ms(this.size),
      playing: this.playing,
      playedMs: this._ms(this.counters.playedSamples),
      sampleRate,
      ...this.counters,
    };
  }

  _trackDelay(frames) {
    this.windowMin = Math.min(this.windowMin, this.size);
    this.windowSamples += frames;
    if (this.windowSamples < sampleRate) return;
    const allowed = ((this.targetMs + SLACK_MS) / 1000) * sampleRate;
    this.excess = Math.max(0, this.windowMin - allowed);
    this.windowMin = Infinity;
    this.windowSamples = 0;
  }

  _quiet(frames) {
    const capacity = this.ring.length;
    for (let i = 0; i < frames; i++) if (Math.abs(this.ring[(this.read + i) % capacity]) > QUIET) return false;
    return true;
  }

  process(_inputs, outputs) {
    const output = outputs[0];
    const frames = output[0].length;
    if (!this.playing && this._ms(this.size) >= this.targetMs) this.playing = true;
    if (this.playing) {
      this._trackDelay(frames);
      if (this.excess >= frames && this.size >= 2 * frames && this._quiet(frames)) {
        this.read = (this.read + frames) % this.ring.length;
        this.size -= frames;
        this.excess -= frames;
        this.counters.skippedMs += this._ms(frames);
      }
      const n = Math.min(frames, this.size);
      const capacity = this.ring.length;
      for (let i = 0; i < n; i++) output[0][i] = this.ring[(this.read + i) % capacity];
      this.read = (this.read + n) % capacity;
      this.size -= n;
      this.counters.playedSamples += n;
      if (n < frames) {
        this.playing = false;
        this.counters.underruns++;
        this.windowMin = Infinity;
        this.windowSamples = 0;
      }
    }
    for (let c = 1; c < output.length; c++) output[c].set(output[0]);
    this.sinceStats += this._ms(frames);
    if (this.sinceStats >= STATS_EVERY_MS) {
      this.sinceStats = 0;
      this.port.postMessage(this._stats());
    }
    return true;
  }
}

registerProcessor("parley-playback", PlaybackProcessor);
