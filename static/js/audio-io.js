// The page's audio graph: microphone -> capture worklet (16 kHz frames out),
// playback worklet (tutor PCM in) -> speakers.

const STATIC_BASE = new URL(".", import.meta.url);

export class MicError extends Error {
  // kind: "denied" | "no-device" | "busy" | "unsupported" | "no-output"
  constructor(kind, message, cause) {
    super(message);
    this.kind = kind;
    this.cause = cause;
  }
}

const MIC_MESSAGES = {
  denied: "Parley may not use your microphone. Allow it for this site (the icon in the address bar), then press Retry.",
  "no-device": "No microphone was found. Plug one in or choose one in your system settings, then press Retry.",
  busy: "The microphone is in use by another program or could not be started. Close that program, then press Retry.",
  unsupported: "This browser cannot capture audio here (it needs a secure https:// page and AudioWorklet support).",
  "no-output":
    "The browser could not start audio: no speakers or headphones were found. Connect some or choose an output device in your system settings, then press Retry.",
};

// Firefox without any audio output device never starts an AudioContext:
// resume() neither resolves nor rejects and the page would wait forever.
const RESUME_TIMEOUT_MS = 5000;

function resumeWithin(context, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new MicError("no-output", MIC_MESSAGES["no-output"])), ms);
  });
  return Promise.race([context.resume(), timeout]).finally(() => clearTimeout(timer));
}

function micError(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError" || name === "PermissionDeniedError") {
    return new MicError("denied", MIC_MESSAGES.denied, error);
  }
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
    return new MicError("no-device", MIC_MESSAGES["no-device"], error);
  }
  return new MicError("busy", MIC_MESSAGES.busy, error);
}

export const MIC_CONSTRAINTS = {
  audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  video: false,
};

export async function openAudio({ playbackTargetMs = 80, playbackMaxMs = 1000, downstreamRate = 16000 } = {}) {
  if (!navigator.mediaDevices?.getUserMedia || !window.AudioWorkletNode) {
    throw new MicError("unsupported", MIC_MESSAGES.unsupported);
  }
  // The context is made first, while the click that started us still counts as
  // a user gesture (autoplay policy); the modules load while the user answers
  // the permission prompt.
  const context = new AudioContext({ latencyHint: "interactive" });
  const modules = Promise.all([
    context.audioWorklet.addModule(new URL("capture-worklet.js", STATIC_BASE)),
    context.audioWorklet.addModule(new URL("playback-worklet.js", STATIC_BASE)),
  ]);
  modules.catch(() => {}); // awaited below; this only stops an "unhandled rejection" if getUserMedia fails first
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(MIC_CONSTRAINTS);
  } catch (error) {
    await context.close();
    throw micError(error);
  }
  try {
    await modules;
    await resumeWithin(context, RESUME_TIMEOUT_MS);
  } catch (error) {
    stream.getTracks().forEach((track) => track.stop());
    if (error instanceof MicError) {
      context.close().catch(() => {}); // not awaited: a context that never started may never say it closed
      throw error;
    }
    await context.close();
    throw new MicError("unsupported", `${MIC_MESSAGES.unsupported} (${error.message})`, error);
  }
  const source = context.createMediaStreamSource(stream);
  const capture = new AudioWorkletNode(context, "parley-capture", {
    numberOfInputs: 1,
    numberOfOutputs: 1,
    channelCount: 1,
    channelCountMode: "explicit",
  });
  // A silent path to the destination keeps the capture node pulled in every browser.
  const sink = context.createGain();
  sink.gain.value = 0;
  source.connect(capture).connect(sink).connect(context.destination);

  const playback = new AudioWorkletNode(context, "parley-playback", {
    numberOfInputs: 0,
    numberOfOutputs: 1,
    outputChannelCount: [1],
    processorOptions: { targetMs: playbackTargetMs, maxMs: playbackMaxMs, inputRate: downstreamRate },
  });
  playback.connect(context.destination);

  const [track] = stream.getAudioTracks();
  return {
    context,
    stream,
    capture,
    playback,
    settings: track.getSettings(),
    async close() {
      stream.getTracks().forEach((t) => t.stop());
      capture.port.onmessage = null;
      playback.port.onmessage = null;
      await context.close();
    },
  };
}
