// A simple energy voice-activity detector and the turn-taking delay it allows
// the page to measure: from the learner's last voiced frame to the first voiced
// tutor audio after it.

export function dbfs(rms) {
  return rms > 0 ? 20 * Math.log10(rms) : -120;
}

export function rmsOfInt16(pcm) {
  let energy = 0;
  for (let i = 0; i < pcm.length; i++) energy += pcm[i] * pcm[i];
  return pcm.length ? Math.sqrt(energy / pcm.length) / 32768 : 0;
}

export class TurnTimer {
  constructor({ thresholdDb = -45, hangoverMs = 300, keep = 20 } = {}) {
    this.thresholdDb = thresholdDb;
    this.hangoverMs = hangoverMs;
    this.keep = keep;
    this.lastVoicedAt = null; // learner
    this.firstTutorAfter = null;
    this.awaiting = false;
    this.learnerVoiced = false;
    this.latenciesMs = [];
  }

  // A learner frame's level (linear RMS) at `now` (ms).
  learner(rms, now) {
    this.learnerVoiced = dbfs(rms) > this.thresholdDb;
    if (this.learnerVoiced) {
      this.lastVoicedAt = now;
      this.firstTutorAfter = null;
      this.awaiting = true;
    } else if (this.awaiting && now - this.lastVoicedAt >= this.hangoverMs && this.firstTutorAfter !== null) {
      this._record();
    }
  }

  // A tutor audio frame's level at `now` (ms).
  tutor(rms, now) {
    if (!this.awaiting || dbfs(rms) <= this.thresholdDb || this.firstTutorAfter !== null) return;
    this.firstTutorAfter = now;
    if (now - this.lastVoicedAt >= this.hangoverMs) this._record();
  }

  _record() {
    this.latenciesMs.push(this.firstTutorAfter - this.lastVoicedAt);
    if (this.latenciesMs.length > this.keep) this.latenciesMs.shift();
    this.awaiting = false;
    this.firstTutorAfter = null;
  }

  get lastMs() {
    return this.latenciesMs.length ? this.latenciesMs[this.latenciesMs.length - 1] : null;
  }
}
