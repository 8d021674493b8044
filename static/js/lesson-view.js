// Renders the lesson engine's events (docs/client.md): the current item, the
// learner's words as they are recognised and judged, the phones of a chosen
// word, corrections, progress and the end-of-session summary.

const ERRORS = new Set(["none", "mispronunciation", "omission", "insertion"]);
const ERROR_LABELS = {
  none: "well pronounced",
  mispronunciation: "mispronounced",
  omission: "left out",
  insertion: "extra word",
};

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

function percent(value) {
  if (typeof value !== "number" || Number.isNaN(value)) return "—";
  return `${Math.round(value <= 1 ? value * 100 : value)}%`;
}

export class LessonView {
  constructor(root, { sayUrl }) {
    this.root = root;
    this.sayUrl = sayUrl;
    this.$ = (selector) => root.querySelector(selector);
    this.utterances = new Map(); // id -> {words: [{text,start,end}], verdicts: Map<index, verdict>, final}
    this.currentUtterance = 0;
    this.selected = null; // {utterance, index}
    this.$("#ipa-toggle").addEventListener("click", () => this._toggleIpa());
    this.$("#word-detail-close").addEventListener("click", () => this.closeWord());
    this.$("#say-word").addEventListener("click", () => this._sayWord());
    this.$("#word-detail").addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.closeWord();
    });
  }

  // --- events -----------------------------------------------------------------

  item({ kind = "", text = "", ipa = "", prompt = "" }) {
    this.$("#item").hidden = false;
    this.$("#item-kind").textContent = kind;
    this.$("#item-prompt").textContent = prompt;
    this.$("#item-text").textContent = text;
    this.$("#item-ipa").textContent = ipa ? `/${ipa}/` : "";
    this.$("#item-ipa").hidden = true;
    this.$("#ipa-toggle").hidden = !ipa;
    this.$("#ipa-toggle").setAttribute("aria-expanded", "false");
    this.$("#ipa-toggle").textContent = "Show IPA";
    this.utterances.clear();
    this.$("#transcript").replaceChildren();
    this.closeWord();
  }

  transcript({ words = [], final = false, utterance }) {
    const id = this._utteranceId(utterance);
    const entry = this._utterance(id);
    entry.words = words.map((word) => ({ text: String(word.text ?? ""), start: word.start, end: word.end }));
    entry.final = Boolean(final);
    this._renderUtterance(id);
  }

  verdict(verdict) {
    const id = this._utteranceId(verdict.utterance);
    const entry = this._utterance(id);
    const index = Number(verdict.word_index);
    if (!Number.isInteger(index) || index < 0) return;
    entry.verdicts.set(index, { ...verdict, error: ERRORS.has(verdict.error) ? verdict.error : "none" });
    this._renderUtterance(id);
    if (this.selected && this.selected.utterance === id && this.selected.index === index) this.openWord(id, index);
  }

  correction({ word = "", expected_ipa = "", heard_ipa = "", text = "" }) {
    const card = el(
      "article",
      { class: "correction-card" },
      el("h3", { text: word }),
      expected_ipa || heard_ipa
        ? el(
            "p",
            { class: "ipa-pair" },
            el("span", { text: "Say " }),
            el("span", { class: "ipa", text: `/${expected_ipa}/` }),
            el("span", { text: heard_ipa ? " — we heard " : "" }),
            heard_ipa ? el("span", { class: "ipa heard", text: `/${heard_ipa}/` }) : null,
          )
        : null,
      text ? el("p", { text }) : null,
    );
    this.$("#corrections").hidden = false;
    this.$("#correction-list").prepend(card);
  }

  progress({ index = 0, total = 0 }) {
    const bar = this.$("#progress-bar");
    this.$("#progress").hidden = false;
    bar.max = Math.max(1, total);
    bar.value = Math.min(index, total);
    this.$("#progress-text").textContent = total ? `Item ${index} of ${total}` : "";
  }

  summary({ scores = {}, text = "" }) {
    const list = this.$("#summary-scores");
    list.replaceChildren();
    for (const [name, value] of Object.entries(scores)) {
      const label = name.replace(/_/g, " ");
      const meter = el("meter", { min: "0", max: "100", value: String(value <= 1 ? value * 100 : value) });
      list.append(el("dt", { text: label }), el("dd", {}, meter, el("span", { class: "score", text: ` ${percent(value)}` })));
    }
    this.$("#summary-text").textContent = text;
    this.$("#summary").hidden = false;
    this.$("#summary").scrollIntoView({ block: "nearest" });
  }

  // --- words ------------------------------------------------------------------

  _utteranceId(utterance) {
    if (Number.isInteger(utterance)) this.currentUtterance = Math.max(this.currentUtterance, utterance);
    return Number.isInteger(utterance) ? utterance : this.currentUtterance;
  }

  _utterance(id) {
    if (!this.utterances.has(id)) this.utterances.set(id, { words: [], verdicts: new Map(), final: false });
    return this.utterances.get(id);
  }

  _line(id) {
    const transcript = this.$("#transcript");
    let line = transcript.querySelector(`[data-utterance="${id}"]`);
    if (!line) {
      line = el("p", { class: "utterance", "data-utterance": String(id) });
      transcript.append(line);
    }
    return line;
  }

  _renderUtterance(id) {
    const entry = this.utterances.get(id);
    const line = this._line(id);
    line.classList.toggle("utterance--final", entry.final);
    const count = Math.max(entry.words.length, ...[...entry.verdicts.keys()].map((i) => i + 1), 0);
    // Update buttons in place so a focused word keeps its focus.
    for (let index = 0; index < count; index++) {
      let button = line.querySelector(`[data-index="${index}"]`);
      if (!button) {
        button = el("button", { type: "button", class: "word", "data-index": String(index) });
        button.addEventListener("click", () => this.openWord(id, index));
        const next = [...line.children].find((child) => Number(child.dataset.index) > index);
        line.insertBefore(button, next || null);
      }
      const verdict = entry.verdicts.get(index);
      const word = entry.words[index];
      const text = word?.text || verdict?.word || "…";
      button.textContent = text;
      button.className = "word";
      if (!verdict) button.classList.add(entry.final ? "word--unjudged" : "word--partial");
      else button.classList.add(`word--${verdict.error}`);
      const state = verdict ? `${ERROR_LABELS[verdict.error]}, ${percent(verdict.accuracy)}` : "not judged yet";
      button.setAttribute("aria-label", `${text}: ${state}`);
    }
    for (const extra of [...line.querySelectorAll(".word")]) {
      if (Number(extra.dataset.index) >= count) extra.remove();
    }
  }

  openWord(id, index) {
    const entry = this.utterances.get(id);
    if (!entry) return;
    const verdict = entry.verdicts.get(index);
    const word = entry.words[index];
    this.selected = { utterance: id, index };
    const panel = this.$("#word-detail");
    this.$("#word-detail-word").textContent = word?.text || verdict?.word || "";
    this.$("#word-detail-verdict").textContent = verdict
      ? `${ERROR_LABELS[verdict.error]} · accuracy ${percent(verdict.accuracy)}`
      : "Not judged yet.";
    const rows = this.$("#phones");
    rows.replaceChildren();
    for (const phone of verdict?.phones || []) {
      const wrong = phone.heard && phone.heard !== phone.ipa;
      rows.append(
        el(
          "tr",
          { class: wrong ? "phone--wrong" : "" },
          el("td", { class: "ipa", text: phone.ipa ?? "" }),
          el("td", { class: "ipa", text: phone.heard ?? "" }),
          el("td", { text: percent(phone.accuracy) }),
        ),
      );
    }
    this.$("#phones-table").hidden = !(verdict?.phones || []).length;
    this.$("#say-message").textContent = "";
    this.root.querySelectorAll(".word--selected").forEach((b) => b.classList.remove("word--selected"));
    this._line(id).querySelector(`[data-index="${index}"]`)?.classList.add("word--selected");
    panel.hidden = false;
  }

  closeWord() {
    const panel = this.$("#word-detail");
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    const selected = this.root.querySelector(".word--selected");
    selected?.classList.remove("word--selected");
    if (hadFocus) selected?.focus();
    this.selected = null;
  }

  async _sayWord() {
    const text = this.$("#word-detail-word").textContent.trim();
    const message = this.$("#say-message");
    if (!text) return;
    message.textContent = "Loading…";
    try {
      const response = await fetch(`${this.sayUrl}?text=${encodeURIComponent(text)}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const audio = new Audio(url);
      audio.addEventListener("ended", () => URL.revokeObjectURL(url));
      await audio.play();
      message.textContent = "";
    } catch (error) {
      message.textContent = `The model pronunciation could not be played (${error.message}).`;
    }
  }

  _toggleIpa() {
    const ipa = this.$("#item-ipa");
    const button = this.$("#ipa-toggle");
    ipa.hidden = !ipa.hidden;
    button.setAttribute("aria-expanded", String(!ipa.hidden));
    button.textContent = ipa.hidden ? "Show IPA" : "Hide IPA";
  }
}
