// The live conversation page: wires the microphone, the duplex connection,
// the playback buffer and the lesson view together. Test and debug hooks are
// on `window.parleyDebug`.

import { MicError, openAudio } from "./audio-io.js";
import { CaptionTrack } from "./captions.js";
import { DebugOverlay } from "./debug-overlay.js";
import { DuplexClient } from "./duplex-client.js";
import { LessonView } from "./lesson-view.js";
import { TurnTimer, dbfs, rmsOfInt16 } from "./vad.js";

const root = document.querySelector("#conversation");
const $ = (selector) => root.querySelector(selector);
const ui = {
  start: $("#start"),
  stop: $("#stop"),
  pause: $("#pause"),
  status: $("#status"),
  problem: $("#mic-problem"),
  problemText: $("#mic-problem-text"),
  retry: $("#mic-retry"),
  meter: $("#mic-level"),
  rtt: $("#rtt"),
};
const PLAYBACK_TARGET_MS = Number(root.dataset.playbackTargetMs || 80);
const MODE = root.dataset.mode || "echo";
const LESSON_ID = root.dataset.lessonId ? Number(root.dataset.lessonId) : null;

const view = new LessonView(root, { sayUrl: root.dataset.sayUrl });
const captions = new CaptionTrack($("#caption"));
const overlay = new DebugOverlay($("#debug-overlay"), $("#debug-toggle"));
const turns = new TurnTimer();

let client = null;
let audio = null;
let bufferedMs = 0;
let reportTimer = null;

const debug = {
  dispatch: handleServerEvent,
  dropConnection: () => client?.dropConnection(),
  welcomes: [],
  events: [],
  playback: null,
  lastFlush: null,
  capturedFrames: 0,
  micLevelDb: -120,
  turnLatenciesMs: turns.latenciesMs,
  timings: {},
  get bufferedMs() {
    return bufferedMs;
  },
  get rttMedianMs() {
    return client?.medianRttMs ?? null;
  },
  get rttSamples() {
    return client ? [...client.rttSamples] : [];
  },
  get client() {
    return client;
  },
  get ready() {
    return root.dataset.ready === "true";
  },
};
window.parleyDebug = debug;

function say(text) {
  ui.status.textContent = text;
}

function markReady() {
  if (debug.ready || !audio || !client?.isLive) return;
  debug.timings.readyAt = performance.now();
  root.dataset.ready = "true";
}

// --- connection ---------------------------------------------------------------

function createClient() {
  const duplex = new DuplexClient({ mode: MODE, lessonId: LESSON_ID });
  // Events of a client the page has given up on (a failed start) are ignored.
  const on = (name, handler) => duplex.addEventListener(name, ({ detail }) => duplex === client && handler(detail));
  on("status", onStatus);
  on("welcome", onWelcome);
  on("server-event", handleServerEvent);
  on("tutor-audio", onTutorAudio);
  on("rtt", (detail) => {
    ui.rtt.textContent = `${Math.round(detail.medianMs)} ms`;
  });
  return duplex;
}

function onStatus({ state, code, reason, delayMs, attempt, resumed }) {
  root.dataset.connection = state;
  if (state === "connecting") say("Connecting…");
  else if (state === "reconnecting" && delayMs != null) {
    say(`Connection lost — reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})…`);
  } else if (state === "live") {
    if (!client.counters.reconnects) say(MODE === "echo" ? "Connected — speak, and you will hear yourself (microphone check)." : "Connected.");
    else if (resumed) say("Reconnected — same session.");
    else say("Reconnected — the earlier session had ended, so a new one started.");
  } else if (state === "closed") {
    say(reason && code !== 1000 ? reason : "Session ended.");
    finish();
  }
}

function onWelcome(welcome) {
  debug.welcomes.push({ session_id: welcome.session_id, resumed: welcome.resumed, next_seq: welcome.next_seq });
  debug.timings.welcomeAt ??= performance.now();
  root.dataset.sessionId = welcome.session_id;
  captions.newConnection();
  audio?.playback.port.postMessage({ type: "config", rate: welcome.downstream.sample_rate });
  markReady();
}

function onTutorAudio({ pcm }) {
  const rate = client.welcome?.downstream?.sample_rate || 16000;
  turns.tutor(rmsOfInt16(pcm), performance.now());
  captions.received((pcm.length / rate) * 1000);
  if (audio) audio.playback.port.postMessage({ type: "pcm", samples: pcm, rate }, [pcm.buffer]);
}

// --- server events --------------------------------------------------------------

function handleServerEvent(event) {
  if (!event || typeof event.type !== "string") return;
  debug.events.push(event.type);
  if (debug.events.length > 200) debug.events.shift();
  switch (event.type) {
    case "stop_playback":
      flushPlayback();
      captions.clear();
      break;
    case "caption":
      captions.add(event);
      break;
    case "item":
      view.item(event);
      break;
    case "transcript":
      view.transcript(event);
      break;
    case "verdict":
      view.verdict(event);
      break;
    case "correction":
      view.correction(event);
      break;
    case "progress":
      view.progress(event);
      break;
    case "summary":
      view.summary(event);
      break;
    case "state":
      if (event.state === "paused") say("Paused — the tutor is quiet; press Resume to go on.");
      else if (event.state === "live") say("Live.");
      showPaused(event.state === "paused");
      break;
    case "error":
      if (event.fatal) say(event.message || event.code);
      else console.warn("parley: server refused a message", event);
      break;
    default:
      break;
  }
}

function flushPlayback() {
  debug.lastFlush = { requestedAt: performance.now(), flushedMs: null, bufferedMsAfter: null, ackMs: null };
  bufferedMs = 0;
  audio?.playback.port.postMessage({ type: "flush" });
}

// --- audio ---------------------------------------------------------------------

function onCaptureFrame({ pcm, rms }) {
  debug.capturedFrames++;
  const now = performance.now();
  client?.sendAudio(pcm, Math.round(now * 1000));
  turns.learner(rms, now);
  debug.micLevelDb = dbfs(rms);
  ui.meter.value = Math.max(-60, debug.micLevelDb);
}

function onPlaybackMessage(message) {
  debug.playback = message;
  bufferedMs = message.bufferedMs;
  if (message.type === "flushed" && debug.lastFlush) {
    Object.assign(debug.lastFlush, {
      flushedMs: message.flushedMs,
      bufferedMsAfter: message.bufferedMs,
      ackMs: performance.now() - debug.lastFlush.requestedAt,
    });
  }
  captions.tick(bufferedMs);
}

function showMicProblem(error) {
  const message = error instanceof MicError ? error.message : `The microphone could not be started: ${error}`;
  root.dataset.micProblem = error.kind || "error";
  ui.problemText.textContent = message;
  ui.problem.hidden = false;
  say("Microphone not available.");
  ui.retry.focus();
}

async function start() {
  ui.start.disabled = true;
  ui.problem.hidden = true;
  delete root.dataset.micProblem;
  debug.timings.startAt = performance.now();
  // Connect while the microphone starts: the two are independent. A retry after
  // the microphone failed mid-session keeps the connection and its session.
  const fresh = !client || client.state === "closed";
  if (fresh) {
    client = createClient();
    client.start();
  }
  try {
    audio = await openAudio({
      playbackTargetMs: PLAYBACK_TARGET_MS,
      downstreamRate: client.welcome?.downstream?.sample_rate || 16000,
    });
  } catch (error) {
    audio = null;
    if (fresh) {
      // Nothing was said in this session: end it rather than leave it waiting.
      const abandoned = client;
      client = null;
      abandoned.stop();
    }
    ui.start.disabled = false;
    showMicProblem(error);
    return;
  }
  debug.timings.micAt = performance.now();
  debug.audioSettings = audio.settings;
  debug.sampleRate = audio.context.sampleRate;
  if (client.welcome) audio.playback.port.postMessage({ type: "config", rate: client.welcome.downstream.sample_rate });
  audio.capture.port.onmessage = ({ data }) => onCaptureFrame(data);
  audio.playback.port.onmessage = ({ data }) => onPlaybackMessage(data);
  audio.stream.getAudioTracks()[0]?.addEventListener("ended", onMicLost);
  ui.start.hidden = true;
  ui.stop.hidden = false;
  ui.pause.hidden = false;
  clearInterval(reportTimer);
  reportTimer = setInterval(report, 1000);
  markReady();
}

function onMicLost() {
  audio?.close();
  audio = null;
  root.dataset.ready = "false";
  showMicProblem(
    new MicError("no-device", "The microphone stopped (unplugged, or taken by another program). Reconnect it, then press Retry."),
  );
}

function togglePause() {
  const pausing = ui.pause.getAttribute("aria-pressed") !== "true";
  client?.sendEvent({ type: "control", action: pausing ? "pause" : "resume" });
}

function showPaused(paused) {
  ui.pause.setAttribute("aria-pressed", String(paused));
  ui.pause.textContent = paused ? "Resume" : "Pause";
}

function report() {
  client?.sendEvent({ type: "playback", buffered_ms: Math.round(bufferedMs) });
  overlay.update({
    rttMs: client?.rttSamples.at(-1),
    rttMedianMs: client?.medianRttMs,
    turnMs: turns.lastMs,
    bufferedMs,
    underruns: debug.playback?.underruns,
    tutorFrames: client?.counters.tutorFrames,
    sent: client?.counters.framesSent,
    resent: client?.counters.framesResent,
    sessionId: client?.sessionId,
    sampleRate: audio?.context.sampleRate,
  });
}

function finish() {
  clearInterval(reportTimer);
  audio?.close();
  audio = null;
  root.dataset.ready = "false";
  ui.stop.hidden = true;
  ui.pause.hidden = true;
  showPaused(false);
  ui.start.hidden = false;
  ui.start.disabled = false;
  ui.meter.value = -60;
}

ui.start.addEventListener("click", start);
ui.retry.addEventListener("click", start);
ui.stop.addEventListener("click", () => client?.stop());
ui.pause.addEventListener("click", togglePause);
