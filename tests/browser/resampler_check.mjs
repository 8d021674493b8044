// Run by test_resampler.py under Node: prints the gain in dB of the client's
// resampler for tones below and above the output band.
import { StreamResampler } from "../../static/js/resampler.js";

function gainDb(inRate, outRate, frequency) {
  const resampler = new StreamResampler(inRate, outRate);
  const input = new Float32Array(inRate);
  for (let i = 0; i < input.length; i++) input[i] = 0.5 * Math.sin((2 * Math.PI * frequency * i) / inRate);
  const parts = [];
  for (let i = 0; i < input.length; i += 128) parts.push(resampler.process(input.subarray(i, i + 128)));
  const output = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    output.set(part, offset);
    offset += part.length;
  }
  const middle = output.subarray(output.length * 0.2, output.length * 0.8);
  const rms = Math.sqrt(middle.reduce((sum, v) => sum + v * v, 0) / middle.length);
  return { inRate, outRate, frequency, samples: output.length, gainDb: 20 * Math.log10(rms / (0.5 / Math.SQRT2)) };
}

const cases = [];
for (const [inRate, outRate] of [[48000, 16000], [44100, 16000], [16000, 48000], [16000, 44100]]) {
  for (const frequency of [440, 3000, 9000, 15000]) {
    if (frequency < inRate / 2) cases.push(gainDb(inRate, outRate, frequency));
  }
}
console.log(JSON.stringify(cases));
