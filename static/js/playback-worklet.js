// Tutor voice playout: a small jitter buffer in front of the speakers.
// Audio arrives as PCM16 at the downstream rate the server declared, is
// resampled to the AudioContext rate, and waits until `targetMs` is buffered
// before playing (again after every underrun). A `flush` empties the buffer at
// once: that is how barge-in silences the tutor within one render quantum.

import { StreamResampler, int16ToFloat32 } from "./resampler.js";

const STATS_EVERY_MS = 50;

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
    this.counters = { playedSamples: 0, receivedFrames: 0, underruns: 0, flushes: 0, flushedMs: 0, overflowMs: 0 };
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

  process(_inputs, outputs) {
    const output = outputs[0];
    const frames = output[0].length;
    if (!this.playing && this._ms(this.size) >= this.targetMs) this.playing = true;
    if (this.playing) {
      const n = Math.min(frames, this.size);
      const capacity = this.ring.length;
      for (let i = 0; i < n; i++) output[0][i] = this.ring[(this.read + i) % capacity];
      this.read = (this.read + n) % capacity;
      this.size -= n;
      this.counters.playedSamples += n;
      if (n < frames) {
        this.playing = false;
        this.counters.underruns++;
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
