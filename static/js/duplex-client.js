// The client side of the duplex protocol (docs/protocol.md): hello/welcome,
// learner audio up with a bounded resend buffer, tutor audio and JSON events
// down, pings for the round trip, and reconnection with backoff into the SAME
// session.
//
// Events (CustomEvent, data in `detail`):
//   status       {state: "connecting"|"live"|"reconnecting"|"closed", code?, reason?, attempt?, delayMs?}
//   welcome      the welcome event as the server sent it
//   server-event any other JSON event from the server ({type, ...})
//   tutor-audio  {seq, timestampUs, pcm: Int16Array}
//   rtt          {ms, medianMs}

import { Kind, decodeFrame, encodeFrame } from "./frames.js";

const PROTOCOL_VERSION = 1;

// Close codes after which reconnecting cannot help (see docs/protocol.md).
// 1000 counts only after the server said the session ended: a peer may also
// answer our own close with 1000.
const FATAL_CLOSES = new Map([
  [4400, "The server did not accept this client's greeting (protocol version?)."],
  [4401, "You are not logged in any more. Log in again, then reload this page."],
  [4403, "This page's address is not allowed to connect."],
  [4409, "This conversation continued in another tab or window."],
  [4413, "This conversation reached its length limit."],
  [4429, "The connection was closed after too many bad messages."],
]);
const UNKNOWN_SESSION = 4404;

// Mirrors the server's per-connection frame allowance (docs/protocol.md) so a
// resend after a long drop never trips its rate limit.
class TokenBucket {
  constructor(rate, burst) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.last = performance.now();
  }

  _refill() {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  take() {
    this._refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  msUntilToken() {
    this._refill();
    return Math.max(1, ((1 - this.tokens) / this.rate) * 1000);
  }
}

export function conversationUrl(location = window.location) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}/ws/conversation/`;
}

function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export class DuplexClient extends EventTarget {
  constructor({
    url = conversationUrl(),
    mode = "echo",
    lessonId = null,
    resendFrames = 500, // 10 s of 20 ms frames: the 5 s dead-link watchdog plus a few reconnect attempts
    frameBurst = 300, // the server allows bursts of 400 frames (not announced in the welcome); keep a margin
    pingIntervalMs = 1000,
    deadAfterMs = 5000, // no pong for this long: the socket is dead even if it says open
    backoffMs = [250, 8000],
    rttWindow = 30,
  } = {}) {
    super();
    this.url = url;
    this.mode = mode;
    this.lessonId = lessonId;
    this.resendFrames = resendFrames;
    this.frameBurst = frameBurst;
    this.pingIntervalMs = pingIntervalMs;
    this.deadAfterMs = deadAfterMs;
    this.backoffMs = backoffMs;
    this.rttWindow = rttWindow;

    this.sessionId = null;
    this.welcome = null;
    this.state = "idle";
    this.socket = null;
    this.nextSeq = 0; // next learner audio sequence number
    this.resend = []; // [{seq, frame}] oldest first, sent or not
    this._outbox = []; // frames to send, in seq order: the server drops any frame older than one it stored
    this._bucket = null;
    this._liveFrom = 0; // frames below this seq were captured before the current welcome
    this._pumpTimer = null;
    this.rttSamples = [];
    this.counters = { framesSent: 0, framesResent: 0, framesDropped: 0, tutorFrames: 0, welcomes: 0, reconnects: 0 };
    this._pingSeq = 0;
    this._lastPongAt = 0;
    this._attempt = 0;
    this._timer = null;
    this._pinger = null;
    this._stopped = false;
    this._ended = false;
    this._onOnline = () => {
      if (this.state === "reconnecting") this._connectNow();
    };
  }

  start() {
    this._stopped = false;
    window.addEventListener("online", this._onOnline);
    this._connectNow();
  }

  // Ends the session on the server (control stop) and closes for good.
  stop() {
    this._stopped = true;
    window.removeEventListener("online", this._onOnline);
    clearTimeout(this._timer);
    if (this.isLive) this.sendEvent({ type: "control", action: "stop" });
    else if (this.socket) this.socket.close(1000);
    this._setState("closed", { code: 1000, reason: "stopped" });
  }

  get isLive() {
    return this.state === "live" && this.socket && this.socket.readyState === WebSocket.OPEN;
  }

  get medianRttMs() {
    return median(this.rttSamples);
  }

  sendEvent(event) {
    if (!this.isLive) return false;
    this.socket.send(JSON.stringify(event));
    return true;
  }

  // One frame of learner audio (Int16Array, 16 kHz mono). Kept for resending
  // whether or not it can be sent now.
  sendAudio(pcm, timestampUs = Math.round(performance.now() * 1000)) {
    const seq = this.nextSeq++;
    const frame = encodeFrame(Kind.LEARNER_AUDIO, seq, timestampUs, pcm);
    this.resend.push({ seq, frame });
    if (this.resend.length > this.resendFrames) {
      this.resend.shift();
      if (!this.isLive) this.counters.framesDropped++;
    }
    if (this.isLive) {
      this._outbox.push({ seq, frame });
      this._pump();
    }
  }

  get backlogFrames() {
    return this._outbox.length;
  }

  _pump() {
    clearTimeout(this._pumpTimer);
    this._pumpTimer = null;
    while (this._outbox.length && this.isLive && this._bucket.take()) {
      const { seq, frame } = this._outbox.shift();
      this.socket.send(frame);
      this.counters.framesSent++;
      if (seq < this._liveFrom) this.counters.framesResent++;
    }
    if (this._outbox.length && this.isLive) this._pumpTimer = setTimeout(() => this._pump(), this._bucket.msUntilToken());
  }

  // Test hook and "network died" path: close the socket without ending the
  // session; the client reconnects as it would after a real drop.
  dropConnection() {
    if (this.socket) this._abandon(this.socket, "dropped by client");
  }

  // Give up on a socket at once: a dead link may take a long time to finish
  // the closing handshake, and the close event would wait for it.
  _abandon(socket, reason) {
    this.socket = null;
    try {
      socket.close(4000, reason);
    } catch {
      // already closing
    }
    this._onClose(4000, reason);
  }

  _setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("status", { detail: { state, ...detail } }));
  }

  _connectNow() {
    clearTimeout(this._timer);
    if (this._stopped) return;
    this._setState(this.counters.welcomes ? "reconnecting" : "connecting", { attempt: this._attempt });
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this._scheduleReconnect({ code: 0, reason: String(error) });
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.addEventListener("open", () => {
      const hello = { type: "hello", protocol: PROTOCOL_VERSION, session_id: this.sessionId, mode: this.mode };
      if (this.lessonId !== null) hello.lesson_id = this.lessonId;
      socket.send(JSON.stringify(hello));
    });
    socket.addEventListener("message", (message) => {
      if (socket !== this.socket) return;
      if (typeof message.data === "string") this._onText(message.data);
      else this._onBinary(message.data);
    });
    socket.addEventListener("close", (close) => {
      if (socket !== this.socket) return;
      this._onClose(close.code, close.reason);
    });
  }

  _onText(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    if (event.type === "welcome") this._onWelcome(event);
    else {
      if (event.type === "state" && event.state === "ended") this._ended = true;
      this.dispatchEvent(new CustomEvent("server-event", { detail: event }));
    }
  }

  _onWelcome(welcome) {
    const resumed = Boolean(welcome.resumed) && welcome.session_id === this.sessionId;
    if (!resumed) {
      // A new session numbers its frames from 0; anything buffered belonged to the old one.
      this.nextSeq = Math.max(0, welcome.next_seq || 0);
      this.resend = [];
    }
    if (this.counters.welcomes) this.counters.reconnects++;
    this.counters.welcomes++;
    this.sessionId = welcome.session_id;
    this.welcome = welcome;
    this._attempt = 0;
    this._lastPongAt = performance.now();
    this._setState("live", { resumed });
    this.nextSeq = Math.max(this.nextSeq, welcome.next_seq);
    // Resend from the first frame the server has not stored, ahead of new frames and within its rate limit.
    const rate = 0.9 * (welcome.limits?.frames_per_second || 120);
    this._bucket = new TokenBucket(rate, this.frameBurst);
    this._liveFrom = this.nextSeq;
    this._outbox = this.resend.filter(({ seq }) => seq >= welcome.next_seq);
    this._pump();
    this._startPinging();
    this.dispatchEvent(new CustomEvent("welcome", { detail: welcome }));
  }

  _onBinary(buffer) {
    let frame;
    try {
      frame = decodeFrame(buffer);
    } catch {
      return;
    }
    if (frame.kind === Kind.PONG) {
      this._lastPongAt = performance.now();
      const ms = performance.now() - frame.timestampUs / 1000;
      this.rttSamples.push(ms);
      if (this.rttSamples.length > this.rttWindow) this.rttSamples.shift();
      this.dispatchEvent(new CustomEvent("rtt", { detail: { ms, medianMs: this.medianRttMs } }));
    } else if (frame.kind === Kind.TUTOR_AUDIO) {
      this.counters.tutorFrames++;
      const pcm = new Int16Array(frame.payload, 0, frame.payload.byteLength >> 1);
      this.dispatchEvent(new CustomEvent("tutor-audio", { detail: { seq: frame.seq, timestampUs: frame.timestampUs, pcm } }));
    }
  }

  _startPinging() {
    clearInterval(this._pinger);
    const socket = this.socket;
    this._pinger = setInterval(() => {
      if (socket !== this.socket || socket.readyState !== WebSocket.OPEN) {
        clearInterval(this._pinger);
        return;
      }
      if (performance.now() - this._lastPongAt > this.deadAfterMs) {
        this._abandon(socket, "no pong");
        return;
      }
      if (!this._bucket.take()) return; // a resend is using the allowance; skip this ping
      socket.send(encodeFrame(Kind.PING, this._pingSeq++, Math.round(performance.now() * 1000)));
    }, this.pingIntervalMs);
  }

  _onClose(code, reason) {
    clearInterval(this._pinger);
    clearTimeout(this._pumpTimer);
    this._outbox = [];
    this.socket = null;
    if (this._stopped || (code === 1000 && this._ended)) {
      this._stopped = true;
      this._setState("closed", { code, reason: this._ended ? "The conversation has ended." : reason });
      return;
    }
    if (FATAL_CLOSES.has(code)) {
      this._stopped = true;
      this._setState("closed", { code, reason: FATAL_CLOSES.get(code), fatal: true });
      return;
    }
    if (code === UNKNOWN_SESSION) {
      // The session ended while we were away (or is not ours): carry on in a new one.
      this.sessionId = null;
    }
    this._scheduleReconnect({ code, reason });
  }

  _scheduleReconnect(detail) {
    const [first, max] = this.backoffMs;
    const base = Math.min(max, first * 2 ** this._attempt);
    const delayMs = Math.round(base * (0.8 + 0.4 * Math.random()));
    this._attempt++;
    this._setState("reconnecting", { ...detail, attempt: this._attempt, delayMs });
    this._timer = setTimeout(() => this._connectNow(), delayMs);
  }
}
