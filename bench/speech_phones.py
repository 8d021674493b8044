"""Phone error rate of the two phone networks on DEV voices they never heard (their calibration folds).

    python bench/speech_phones.py [--corpus var/corpus/dev]

For each dev utterance, the fold phone model (`speech/data/folds/fold{1,2}.pt`) and the fold Whisper
phone head (`speech/data/folds/whisper_fold{1,2}.pt`) that never heard its voice decode it greedily;
the result is compared with the phones the voice was told to say (the annotation's produced IPA,
fillers included). Prints JSON per voice: all utterances and correctly read ones only, plus seconds of
CPU per second of audio for each network. Uses the committed fold networks (`make train-speech` rebuilds
them); never the eval set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch

from speech.audio import read_wav
from speech.corpus import load_corpus, voice_group
from speech.g2p import ARPABET_TO_IPA
from speech.pronunciation.phone_model import greedy_phones, single_torch_thread
from speech.pronunciation.train_word_model import calibration_phone_model, calibration_whisper_head
from speech.sequences import edit_distance

_IPA_TO_PHONE = {ipa: phone for phone, ipa in ARPABET_TO_IPA.items()}
_LONGEST = max(len(symbol) for symbol in _IPA_TO_PHONE)
FILLER_PHONES = {"uh": ["AH"], "um": ["AH", "M"]}


def arpabet_of(ipa: str) -> list[str]:
    """Longest-match reading of the corpus's stress-free IPA (written by `arpabet_to_ipa`)."""
    phones, at = [], 0
    while at < len(ipa):
        for width in range(min(_LONGEST, len(ipa) - at), 0, -1):
            if ipa[at : at + width] in _IPA_TO_PHONE:
                phones.append(_IPA_TO_PHONE[ipa[at : at + width]])
                at += width
                break
        else:
            raise ValueError(f"{ipa!r}: no ARPAbet phone at {at}")
    return phones


def said(annotation: dict) -> list[str]:
    spoken = [(w["start"], arpabet_of(w["produced_ipa"])) for w in annotation["words"] if w["error"] != "omission"]
    spoken += [(h["start"], FILLER_PHONES[h["text"]]) for h in annotation["hesitations"] if h["text"] in FILLER_PHONES]
    return [phone for _, phones in sorted(spoken, key=lambda item: item[0]) for phone in phones]


def main() -> None:
    parser = argparse.ArgumentParser(description="phone error rates of the fold networks on dev voices")
    parser.add_argument("--corpus", default="var/corpus/dev")
    args = parser.parse_args()
    index = json.loads((Path(args.corpus) / "index.json").read_text())
    if index["set"] != "dev":
        raise SystemExit(f"{args.corpus} is the {index['set']!r} set; this benchmark runs on dev")
    torch.set_num_threads(1)
    networks = {"phone_model": calibration_phone_model, "whisper_head": calibration_whisper_head}
    errors: dict[str, dict[str, dict[str, list[int]]]] = {name: {} for name in networks}
    cpu = dict.fromkeys(networks, 0.0)
    audio_seconds = 0.0
    for wav, annotation in load_corpus(args.corpus):
        samples = read_wav(wav).samples
        audio_seconds += len(samples) / 16000
        reference = said(annotation)
        fillers = any(h["text"] in FILLER_PHONES for h in annotation["hesitations"])
        correct = all(w["error"] == "none" for w in annotation["words"]) and not fillers
        for name, network in networks.items():
            recognizer = network(annotation["voice"])
            started = time.process_time()
            with single_torch_thread():
                heard = greedy_phones(recognizer.log_posteriors(samples))
            cpu[name] += time.process_time() - started
            voice = errors[name].setdefault(voice_group(annotation["voice"]), {"all": [0, 0], "correct": [0, 0]})
            for subset in ("all", "correct") if correct else ("all",):
                voice[subset][0] += edit_distance(reference, heard)
                voice[subset][1] += len(reference)
    result = {
        "corpus": args.corpus,
        "phone_error_rate": {
            name: {
                voice: {subset: round(e / max(n, 1), 3) for subset, (e, n) in subsets.items()}
                for voice, subsets in sorted(voices.items())
            }
            for name, voices in errors.items()
        },
        "cpu_ms_per_audio_second": {name: round(1000 * seconds / audio_seconds, 1) for name, seconds in cpu.items()},
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
