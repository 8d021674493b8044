// Run by test_worklets.py under Node: drives the playback worklet's processor
// with the AudioWorkletGlobalScope names it uses, and prints what it did.
globalThis.sampleRate = 48000;
globalThis.currentTime = 0;
globalThis.AudioWorkletProcessor = class {
  constructor() {
    this.port = { messages: [], postMessage(message) { this.messages.push(message); }, onmessage: null };
  }
};
globalThis.registerProcessor = (name, processor) => {
  globalThis.registered = processor;
};
await import("../../static/js/playback-worklet.js");

const QUANTUM = 128;
function make(targetMs = 80) {
  const processor = new globalThis.registered({ processorOptions: { targetMs, inputRate: 16000 } });
  const send = (data) => processor.port.onmessage({ data });
  const render = () => {
    const output = [new Float32Array(QUANTUM)];
    processor.process([], [output]);
    return output[0];
  };
  return { processor, send, render };
}
function pcm(ms, amplitude) {
  const samples = new Int16Array((16000 * ms) / 1000);
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(amplitude * 32767 * Math.sin((2 * Math.PI * 440 * i) / 16000));
  return samples;
}
const depthMs = (p) => (p.size / sampleRate) * 1000;

// Real-time feed: 20 ms in for every 20 ms rendered (7.5 quanta at 48 kHz).
function stream(player, seconds, amplitude) {
  let rendered = 0;
  let peak = 0;
  for (let ms = 0; ms < seconds * 1000; ms += 20) {
    player.send({ type: "pcm", samples: pcm(20, amplitude), rate: 16000 });
    while (rendered < ((ms + 20) / 1000) * sampleRate) {
      const out = player.render();
      for (const v of out) peak = Math.max(peak, Math.abs(v));
      rendered += QUANTUM;
    }
  }
  return peak;
}

const result = {};
{
  const player = make();
  player.send({ type: "pcm", samples: pcm(40, 0.5), rate: 16000 });
  const early = player.render();
  result.silentBeforeTarget = early.every((v) => v === 0);
  player.send({ type: "pcm", samples: pcm(60, 0.5), rate: 16000 });
  result.playsAtTarget = player.render().some((v) => v !== 0);
  player.send({ type: "flush" });
  const flushed = player.processor.port.messages.find((m) => m.type === "flushed");
  result.flushedMs = flushed.flushedMs;
  result.bufferedAfterFlush = flushed.bufferedMs;
  result.renderAfterFlushSilent = player.render().every((v) => v === 0);
}
for (const [name, amplitude] of [["quiet", 0.001], ["loud", 0.5]]) {
  // 400 ms of extra delay (as after rebuffering), then a steady real-time stream.
  const player = make();
  player.send({ type: "pcm", samples: pcm(480, amplitude), rate: 16000 });
  stream(player, 3, amplitude);
  result[name] = { depthMs: depthMs(player.processor), skippedMs: player.processor.counters.skippedMs };
}
console.log(JSON.stringify(result));
