"""espeak-ng's synthesiser, driven through ctypes from the library that espeakng-loader bundles.

The library keeps one global synthesiser state, so every call goes through one lock. It is loaded
from a private copy of the shared object: phonemizer (used elsewhere in Parley for G2P) loads the
same file and initialises it its own way, and two users of one handle would overwrite each other's
voice and callback.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import espeakng_loader
import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_PHONEMES_INPUT = 0x100  # allow [[...]] phoneme mnemonics in the text
_END_PAUSE = 0x1000
_POS_CHARACTER = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_PARAM_RANGE = 4
_TRACE_IPA = 0x02
_EE_OK = 0

DEFAULT_WORDS_PER_MINUTE = 165
DEFAULT_PITCH = 50

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


@dataclass(frozen=True)
class EspeakSettings:
    words_per_minute: int = DEFAULT_WORDS_PER_MINUTE
    pitch: int = DEFAULT_PITCH  # 0-100
    pitch_range: int = 50  # 0-100; 0 is a monotone


DEFAULT_SETTINGS = EspeakSettings()


class _VoiceProperties(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_char_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


class EspeakError(RuntimeError):
    pass


class EspeakEngine:
    """One espeak-ng instance: text or [[phoneme mnemonics]] in, int16 samples at `rate` out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lib = _load_private_copy()
        self._declare_signatures()
        self.rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), _INITIALIZE_DONT_EXIT
        )
        if self.rate <= 0:
            raise EspeakError("espeak-ng failed to initialise")
        self._pieces: list[np.ndarray] = []
        self._should_stop: Callable[[], bool] | None = None
        self._callback = _SynthCallback(self._collect)  # kept referenced: espeak holds the raw pointer
        self._lib.espeak_SetSynthCallback(self._callback)
        self._libc = ctypes.CDLL(None)
        self._libc.fdopen.restype = ctypes.c_void_p
        self._libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
        self._libc.fclose.argtypes = [ctypes.c_void_p]
        self._voice: str | None = None

    def synthesize(
        self,
        text: str,
        language: str,
        settings: EspeakSettings = DEFAULT_SETTINGS,
        should_stop: Callable[[], bool] | None = None,
    ) -> np.ndarray:
        """Render `text` (which may hold [[mnemonics]]) in `language`; int16 samples at `self.rate`.

        `should_stop` is polled as audio comes out; once it says True the render ends early.
        """
        with self._lock:
            self._should_stop = should_stop
            try:
                return self._synthesize_locked(text, language, settings)
            finally:
                self._should_stop = None

    def synthesize_with_ipa(
        self, text: str, language: str, settings: EspeakSettings = DEFAULT_SETTINGS
    ) -> tuple[np.ndarray, str]:
        """Render `text` and also return espeak's own IPA for what it rendered (one line per clause)."""
        with tempfile.TemporaryFile() as trace:
            stream = self._libc.fdopen(os.dup(trace.fileno()), b"w")
            try:
                with self._lock:
                    self._lib.espeak_SetPhonemeTrace(_TRACE_IPA, stream)
                    try:
                        samples = self._synthesize_locked(text, language, settings)
                    finally:
                        self._lib.espeak_SetPhonemeTrace(0, None)
            finally:
                self._libc.fclose(stream)
            trace.seek(0)
            ipa = trace.read().decode("utf-8", errors="replace")
        return samples, " ".join(ipa.split())

    def has_language(self, language: str) -> bool:
        with self._lock:
            return self._select_voice(language)

    def _select_voice(self, language: str) -> bool:
        """Select by voice name ("en-us", "gmw/en"), else by language tag ("en-gb"); True if found."""
        if self._voice == language:
            return True
        found = self._lib.espeak_SetVoiceByName(language.encode()) == _EE_OK
        if not found:
            properties = _VoiceProperties(languages=language.encode())
            found = self._lib.espeak_SetVoiceByProperties(ctypes.byref(properties)) == _EE_OK
        self._voice = language if found else None
        return found

    def _synthesize_locked(self, text: str, language: str, settings: EspeakSettings) -> np.ndarray:
        if not self._select_voice(language):
            raise EspeakError(f"espeak-ng has no voice for language {language!r}")
        self._lib.espeak_SetParameter(_PARAM_RATE, settings.words_per_minute, 0)
        self._lib.espeak_SetParameter(_PARAM_PITCH, settings.pitch, 0)
        self._lib.espeak_SetParameter(_PARAM_RANGE, settings.pitch_range, 0)
        self._pieces = []
        encoded = text.encode("utf-8") + b"\0"
        # Voices with breath or roughness (en-us+f2, the Klatt variants) draw noise from espeak-ng's own
        # generator, which the library seeds from the clock; a seed from the text makes a rendering repeatable.
        self._lib.espeak_ng_SetRandSeed(zlib.crc32(encoded))
        flags = _CHARS_UTF8 | _PHONEMES_INPUT | _END_PAUSE
        status = self._lib.espeak_Synth(encoded, len(encoded), 0, _POS_CHARACTER, 0, flags, None, None)
        if status != _EE_OK:
            raise EspeakError(f"espeak-ng failed to synthesise {text!r} (status {status})")
        pieces, self._pieces = self._pieces, []
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int16)

    def _collect(self, samples: ctypes._Pointer, count: int, _events: int | None) -> int:
        if samples and count > 0:
            self._pieces.append(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 1 if self._should_stop is not None and self._should_stop() else 0  # 1 tells espeak-ng to stop

    def _declare_signatures(self) -> None:
        lib = self._lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByProperties.restype = ctypes.c_int
        lib.espeak_SetVoiceByProperties.argtypes = [ctypes.POINTER(_VoiceProperties)]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetPhonemeTrace.argtypes = [ctypes.c_int, ctypes.c_void_p]
        lib.espeak_ng_SetRandSeed.restype = None
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]


def _load_private_copy() -> ctypes.CDLL:
    private_dir = tempfile.mkdtemp(prefix="parley-espeak-")
    private_path = os.path.join(private_dir, "libespeak-ng.so")
    shutil.copyfile(espeakng_loader.get_library_path(), private_path)
    try:
        return ctypes.CDLL(private_path)
    finally:
        # The mapping stays valid after the file is gone; nothing is left behind in /tmp.
        shutil.rmtree(private_dir, ignore_errors=True)


@cache
def espeak_engine() -> EspeakEngine:
    """The process-wide espeak-ng instance."""
    return EspeakEngine()
