"""Finding the GGUF model for a role: an explicit path, ``INTERVIEW_ENGINE_GGUF_MODEL``, the role's
default file in the models directory, or a model package, in that order."""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from interview_engine.plugin_api import CorruptModel, ModelNotFound

from .packages import DEMO_PACKAGE, PACKAGES, ModelPackage

log = logging.getLogger(__name__)

MODEL_ENV = "INTERVIEW_ENGINE_GGUF_MODEL"
CACHE_ENV = "INTERVIEW_ENGINE_CACHE"
GGUF_MAGIC = b"GGUF"
GGUF_VERSIONS = (2, 3)
GGUF_HEADER_BYTES = 24


def models_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$INTERVIEW_ENGINE_CACHE/models``, else ``~/.cache/interview-engine/models``."""
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get(CACHE_ENV)
    return (Path(base).expanduser() if base else Path.home() / ".cache" / "interview-engine") / "models"


def check_gguf(path: Path) -> None:
    """Raise CorruptModel unless ``path`` starts with a GGUF header (cheap: reads 24 bytes)."""
    with path.open("rb") as f:
        head = f.read(GGUF_HEADER_BYTES)
    if len(head) < GGUF_HEADER_BYTES or head[:4] != GGUF_MAGIC:
        raise CorruptModel(f"{path} is not a GGUF model file (bad header); replace it with a .gguf model")
    (version,) = struct.unpack("<I", head[4:8])
    if version not in GGUF_VERSIONS:
        raise CorruptModel(f"{path} is GGUF version {version}, which llama.cpp cannot read; use a v2 or v3 GGUF")


@dataclass(frozen=True)
class ModelChoice:
    """A located model: ``prepare()`` returns its path, assembling a model package first if needed."""

    label: str
    prepare: Callable[[], Path]
    identity: str
    """Which model this is (a resolved file path, or a package in a directory): providers naming the same
    identity share one loaded model."""


def _file_choice(path: Path) -> ModelChoice:
    check_gguf(path)
    return ModelChoice(label=path.name, prepare=lambda: path, identity=str(path.resolve()))


def _package_choice(package: ModelPackage, directory: Path) -> ModelChoice:
    if package.missing():
        raise package.not_installed()
    return ModelChoice(label=package.name, prepare=lambda: package.prepare(directory),
                       identity=str(package.target(directory).resolve()))


def _named(value: str, directory: Path, origin: str) -> ModelChoice:
    """A model named by an option or the environment: a package name, a path, or a file in ``directory``."""
    if value in PACKAGES:
        return _package_choice(PACKAGES[value], directory)
    path = Path(value).expanduser()
    for candidate in (path, directory / path):
        if candidate.is_file():
            return _file_choice(candidate)
    raise ModelNotFound(
        f"{origin} names {value!r}, which is neither a model package ({', '.join(PACKAGES)}) nor a file "
        f"(looked at {path} and {directory / path}); fix {origin}"
    )


def find_model(
    *, role: str, default_file: str, model: str | None = None, model_path: str | None = None,
    directory: str | os.PathLike[str] | None = None, fallback: str | None = DEMO_PACKAGE,
) -> ModelChoice:
    """Locate the model for ``role`` ("evaluator" or "question_source"); ModelNotFound lists every place
    looked at and how to set one."""
    where = models_dir(directory)
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ModelNotFound(f"no GGUF at {path} (option model_path); fix the path or drop the option")
        return _file_choice(path)
    if model:
        return _named(model, where, "option model")
    env = os.environ.get(MODEL_ENV)
    if env:
        return _named(env, where, MODEL_ENV)
    default = where / default_file
    if default.is_file():
        return _file_choice(default)
    if fallback is not None and not PACKAGES[fallback].missing():
        log.info("no %s in %s; using the demo model package %s", default_file, where, fallback)
        return _package_choice(PACKAGES[fallback], where)
    package_note = f", model package {fallback!r} (not installed)" if fallback else ""
    raise ModelNotFound(
        f"no GGUF model for the gguf {role}: looked at options model_path and model (unset), ${MODEL_ENV} "
        f"(unset), {default} (missing){package_note}; set INTERVIEW_ENGINE_{role.upper()}_OPTIONS="
        f"'{{\"model_path\": \"/path/to/model.gguf\"}}' or ${MODEL_ENV}, or pip install "
        "'interview-engine-gguf[demo]'"
    )
