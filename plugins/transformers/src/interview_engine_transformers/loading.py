"""Chooses where and how a model runs (device, dtype, quantization) and loads it from disk."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from interview_engine.plugin_api import ConfigurationError, ModelNotFound, ProviderError

from .constrained import GrammarVocabulary
from .options import TransformersOptions

log = logging.getLogger(__name__)

CUDA_EXTRA = "pip install 'interview-engine-transformers[cuda]'"


@dataclass(frozen=True)
class Placement:
    """Where a model runs: a torch device, a dtype name, and an optional bitsandbytes quantization."""

    device: str
    dtype: str
    quantization: Literal["4bit", "8bit"] | None

    def describe(self) -> str:
        return f"{self.device}, {self.quantization or self.dtype}"


@dataclass
class LoadedModel:
    """A model ready to generate: weights, tokenizer, and the vocabulary constrained decoding uses."""

    model: Any
    tokenizer: Any
    vocabulary: GrammarVocabulary
    eos_ids: list[int]
    pad_id: int


def bitsandbytes_available() -> bool:
    return importlib.util.find_spec("bitsandbytes") is not None


def choose_placement(options: TransformersOptions) -> Placement:
    """Resolve ``auto`` options against this machine; impossible combinations are ConfigurationErrors."""
    import torch

    has_cuda = torch.cuda.is_available()
    device = options.device if options.device != "auto" else ("cuda" if has_cuda else "cpu")
    on_cuda = device.startswith("cuda")
    if on_cuda and not has_cuda:
        raise ConfigurationError(f"device={device} but torch {torch.__version__} sees no CUDA device; use device=cpu")
    quantization = options.quantization
    if quantization == "auto":
        quantization = "4bit" if on_cuda and bitsandbytes_available() else "none"
        if on_cuda and quantization == "none":
            log.warning("bitsandbytes is not installed; loading in bfloat16 instead of 4-bit (%s)", CUDA_EXTRA)
    if quantization != "none":
        if not on_cuda:
            raise ConfigurationError(f"quantization={quantization} needs a CUDA device; use quantization=none")
        if not bitsandbytes_available():
            raise ConfigurationError(f"quantization={quantization} needs bitsandbytes: {CUDA_EXTRA}")
    dtype = options.dtype if options.dtype != "auto" else ("bfloat16" if on_cuda else "float32")
    return Placement(device, dtype, None if quantization == "none" else quantization)


def load_model(path: Path, placement: Placement) -> LoadedModel:
    """Load tokenizer and weights from ``path`` (never from the network). Slow: call it off the event
    loop."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    log.info("loading %s (%s)", path, placement.describe())
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(
            path, local_files_only=True, dtype=getattr(torch, placement.dtype), device_map=placement.device,
            quantization_config=_quantization_config(placement),
        )
    except OSError as exc:
        raise ModelNotFound(f"cannot load the model at {path}: {_first_line(exc)}") from exc
    except (ValueError, RuntimeError, ImportError) as exc:
        raise ProviderError(f"cannot load the model at {path} ({placement.describe()}): {_first_line(exc)}") from exc
    if not tokenizer.chat_template:
        raise ProviderError(f"the tokenizer at {path} has no chat template; use an instruction-tuned model")
    model.eval()
    eos_ids = _eos_ids(model.generation_config.eos_token_id, tokenizer.eos_token_id)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_ids[0]
    try:
        vocabulary = GrammarVocabulary(tokenizer, model.config.vocab_size, eos_ids)
    except ValueError as exc:  # llguidance takes fast (Rust) tokenizers only
        raise ProviderError(f"cannot constrain decoding with the tokenizer at {path}: {_first_line(exc)}") from exc
    return LoadedModel(model=model, tokenizer=tokenizer, vocabulary=vocabulary, eos_ids=eos_ids, pad_id=pad_id)


def _quantization_config(placement: Placement) -> Any:
    if placement.quantization is None:
        return None
    import torch
    from transformers import BitsAndBytesConfig

    if placement.quantization == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(
        load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=getattr(torch, placement.dtype),
    )


def _eos_ids(*candidates: int | list[int] | None) -> list[int]:
    ids: list[int] = []
    for candidate in candidates:
        for token in candidate if isinstance(candidate, list) else [candidate]:
            if token is not None and token not in ids:
                ids.append(token)
    if not ids:
        raise ProviderError("the model defines no end-of-sequence token")
    return ids


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
