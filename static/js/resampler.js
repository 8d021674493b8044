// Streaming band-limited resampler (windowed sinc, polyphase table).
// Shared by both worklets; plain module with no browser dependencies, so it
// also runs under Node for its tests.

const PHASES = 256;

function blackman(x) {
  // x in [-1, 1]
  const a = Math.PI * (x + 1);
  return 0.42 - 0.5 * Math.cos(a) + 0.08 * Math.cos(2 * a);
}

export class StreamResampler {
  // zeroCrossings: kernel half-length in zero crossings of the narrower band.
  // rolloff: cutoff as a fraction of the lower Nyquist frequency; the band above
  // it is the transition band, so nothing past the output Nyquist folds back.
  constructor(inRate, outRate, { zeroCrossings = 12, rolloff = 0.9 } = {}) {
    this.inRate = inRate;
    this.outRate = outRate;
    this.step = inRate / outRate; // input samples per output sample
    this.passthrough = inRate === outRate;
    const scale = Math.min(1, outRate / inRate) * rolloff; // cutoff in cycles per input sample * 2
    this.half = Math.ceil(zeroCrossings / scale);
    this.taps = 2 * this.half;
    this.table = new Float32Array(PHASES * this.taps);
    for (let p = 0; p < PHASES; p++) {
      const frac = p / PHASES;
      let sum = 0;
      for (let k = 0; k < this.taps; k++) {
        // Distance from the output instant to input sample (k - half + 1).
        const x = k - this.half + 1 - frac;
        const arg = Math.PI * scale * x;
        const sinc = x === 0 ? 1 : Math.sin(arg) / arg;
        const w = Math.abs(x) >= this.half ? 0 : blackman(x / this.half);
        const v = sinc * w;
        this.table[p * this.taps + k] = v;
        sum += v;
      }
      // Unity gain at DC for every phase: no ripple from the phase quantisation.
      for (let k = 0; k < this.taps; k++) this.table[p * this.taps + k] /= sum;
    }
    // History: the last `taps` input samples plus whatever has not been consumed.
    this.buffer = new Float32Array(4096);
    this.length = this.taps - 1; // start with zeros as history
    this.time = this.half - 1; // position of the next output, in buffer samples
  }

  reset() {
    this.buffer.fill(0);
    this.length = this.taps - 1;
    this.time = this.half - 1;
  }

  _append(input) {
    if (this.length + input.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(this.buffer.length * 2, this.length + input.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(input, this.length);
    this.length += input.length;
  }

  // Takes Float32 samples at inRate, returns Float32 samples at outRate.
  process(input) {
    if (this.passthrough) return Float32Array.from(input);
    this._append(input);
    const { buffer, table, taps, half, step } = this;
    const last = this.length - 1 - half; // the latest base index whose kernel is all in the buffer
    const out = new Float32Array(Math.max(0, Math.ceil((last + 1 - this.time) / step) + 1));
    let t = this.time;
    let n = 0;
    while (Math.floor(t) <= last) {
      const base = Math.floor(t);
      const phase = Math.floor((t - base) * PHASES);
      const start = base - half + 1;
      const row = phase * taps;
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += buffer[start + k] * table[row + k];
      out[n++] = acc;
      t += step;
    }
    // Drop the consumed input but keep the kernel's history.
    const keepFrom = Math.max(0, Math.floor(t) - half + 1);
    if (keepFrom > 0) {
      buffer.copyWithin(0, keepFrom, this.length);
      this.length -= keepFrom;
      t -= keepFrom;
    }
    this.time = t;
    return out.subarray(0, n);
  }
}

export function int16ToFloat32(samples) {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 32768;
  return out;
}

export function float32ToInt16(samples) {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    out[i] = s < 0 ? Math.round(s * 32768) : Math.round(s * 32767);
  }
  return out;
}
