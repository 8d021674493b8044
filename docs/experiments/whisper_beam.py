"""Stop 16's experiment: Whisper base with beam search instead of the transcriber's greedy decoding.

    PYTHONPATH=. python docs/experiments/whisper_beam.py [espeak|piper]

The same 20 held-out sentences and voices as `bench/speech_listening.py`; decoding through transformers'
`generate()` with 1 and 5 beams (English, transcribe), one torch thread, then the transcriber's own greedy
loop as a check that `generate()` with one beam matches it. Prints WER and CPU seconds per utterance.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import speech_listening as listening

from speech.transcriber import Transcriber


def main() -> None:
    torch.set_num_threads(1)
    transcriber = Transcriber.get()
    say = listening.VOICES[sys.argv[1] if len(sys.argv) > 1 else "espeak"]()
    clips = [say(sentence) for sentence in listening.SENTENCES]
    for beams in (1, 5):
        pairs, started = [], time.process_time()
        for sentence, clip in zip(listening.SENTENCES, clips, strict=True):
            features = transcriber.processor.feature_extractor(
                clip.samples, sampling_rate=16000, return_tensors="pt"
            ).input_features
            with torch.inference_mode():
                tokens = transcriber.model.generate(features, num_beams=beams, language="en", task="transcribe")
            pairs.append((sentence, transcriber.tokenizer.decode(tokens[0], skip_special_tokens=True)))
        cpu = (time.process_time() - started) / len(clips)
        print(f"{beams} beam(s): WER {listening.word_error_rate(pairs):.4f}, {cpu:.2f} CPU s per utterance", flush=True)
    pairs = [
        (sentence, transcriber.transcribe(clip, lang="en").text)
        for sentence, clip in zip(listening.SENTENCES, clips, strict=True)
    ]
    print(f"the transcriber (greedy): WER {listening.word_error_rate(pairs):.4f}")


if __name__ == "__main__":
    main()
