"""Finds a model on disk: a local directory, or a model id in the local Hugging Face cache. Never
downloads."""

from __future__ import annotations

import logging
from pathlib import Path

from interview_engine.plugin_api import ModelNotFound

from .options import MODEL_ENV

log = logging.getLogger(__name__)


def resolve_model_dir(model: str, cache_dir: str | None = None) -> Path:
    """The directory holding ``model``'s config, tokenizer and weights, or ModelNotFound saying where
    it looked."""
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFound(f"{path} has no config.json; point {MODEL_ENV} at a saved transformers model")
        return path
    if path.is_absolute() or model.startswith((".", "~")) or path.exists():
        raise ModelNotFound(f"no model directory at {path}; set {MODEL_ENV} to a saved transformers model")
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    where = cache_dir or constants.HF_HUB_CACHE
    try:
        found = Path(snapshot_download(model, cache_dir=cache_dir, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError) as exc:
        raise ModelNotFound(
            f"model {model!r} is not a directory and not in the Hugging Face cache at {where}; "
            f"download it there first or set {MODEL_ENV} to a model directory"
        ) from exc
    log.debug("model %s found in the Hugging Face cache at %s", model, found)
    return found
