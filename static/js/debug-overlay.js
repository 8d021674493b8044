// Live delays for the curious and for bug reports: toggled by its button and
// the "d" key (ignored while typing in a field).

function fmt(value, unit = "ms") {
  return value == null || Number.isNaN(value) ? "—" : `${Math.round(value)} ${unit}`;
}

export class DebugOverlay {
  constructor(panel, button) {
    this.panel = panel;
    this.button = button;
    button.addEventListener("click", () => this.toggle());
    document.addEventListener("keydown", (event) => {
      const typing = event.target.closest?.("input, textarea, select, [contenteditable]");
      if (event.key === "d" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) this.toggle();
    });
  }

  get visible() {
    return !this.panel.hidden;
  }

  toggle(show = !this.visible) {
    this.panel.hidden = !show;
    this.button.setAttribute("aria-pressed", String(show));
  }

  // figures: {rttMs, rttMedianMs, turnMs, bufferedMs, underruns, tutorFrames, sent, resent, sessionId, sampleRate}
  update(figures) {
    if (!this.visible) return;
    const rows = [
      ["Frame round trip (median)", fmt(figures.rttMedianMs)],
      ["Frame round trip (last)", fmt(figures.rttMs)],
      ["Turn-taking latency (last)", fmt(figures.turnMs)],
      ["Playback buffer", fmt(figures.bufferedMs)],
      ["Playback underruns", String(figures.underruns ?? 0)],
      ["Frames sent / resent", `${figures.sent ?? 0} / ${figures.resent ?? 0}`],
      ["Tutor frames received", String(figures.tutorFrames ?? 0)],
      ["Audio context rate", fmt(figures.sampleRate, "Hz")],
      ["Session", figures.sessionId || "—"],
    ];
    const list = this.panel.querySelector("dl");
    list.replaceChildren(
      ...rows.flatMap(([name, value]) => {
        const dt = document.createElement("dt");
        dt.textContent = name;
        const dd = document.createElement("dd");
        dd.textContent = value;
        return [dt, dd];
      }),
    );
  }
}
