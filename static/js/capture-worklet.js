// Microphone capture: runs at the AudioContext's (device) rate, low-passes and
// resamples to 16 kHz, and posts 20 ms PCM16 frames with their level to the
// page. Resampling here rather than asking for a 16 kHz context keeps the graph
// at one rate, which Firefox requires.

import { StreamResampler, float32ToInt16 } from "./resampler.js";

const TARGET_RATE = 16000;
const FRAME_SAMPLES = 320; // 20 ms at 16 kHz

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.resampler = new StreamResampler(sampleRate, TARGET_RATE);
    this.frame = new Float32Array(FRAME_SAMPLES);
    this.filled = 0;
  }

  process(inputs) {
    const channels = inputs[0];
    if (!channels || !channels.length) return true;
    // channelCount 1 is requested; if the device still gives more, take the first.
    const resampled = this.resampler.process(channels[0]);
    let offset = 0;
    while (offset < resampled.length) {
      const take = Math.min(FRAME_SAMPLES - this.filled, resampled.length - offset);
      this.frame.set(resampled.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === FRAME_SAMPLES) {
        this._post();
        this.filled = 0;
      }
    }
    return true;
  }

  _post() {
    let energy = 0;
    let peak = 0;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const s = this.frame[i];
      energy += s * s;
      if (Math.abs(s) > peak) peak = Math.abs(s);
    }
    const pcm = float32ToInt16(this.frame);
    this.port.postMessage(
      { type: "frame", pcm, rms: Math.sqrt(energy / FRAME_SAMPLES), peak, frameTime: currentTime },
      [pcm.buffer],
    );
  }
}

registerProcessor("parley-capture", CaptureProcessor);
