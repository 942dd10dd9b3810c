"""Finding models: explicit paths, the environment, the models directory, model packages; and the typed
errors for a missing model, a corrupt or truncated GGUF and a model package with the wrong checksum."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from interview_engine_gguf.backend import GGUFBackend
from interview_engine_gguf.locate import CACHE_ENV, MODEL_ENV, find_model, models_dir
from interview_engine_gguf.packages import ModelPackage, PackagePart
from interview_engine_gguf.plugin import EVALUATOR_DEFAULT_FILE, gguf_evaluator

from interview_engine.errors import ModelNotFound
from interview_engine.llm.errors import ChecksumMismatch, CorruptModel


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODEL_ENV, raising=False)


def _find(tmp_path: Path, **kwargs: str) -> Path:
    choice = find_model(role="evaluator", default_file=EVALUATOR_DEFAULT_FILE, directory=tmp_path, fallback=None,
                        **kwargs)
    return choice.prepare()


def test_nothing_found_says_where_it_looked_and_what_to_set(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound) as info:
        _find(tmp_path)
    message = str(info.value)
    assert "\n" not in message
    for part in ("model_path", MODEL_ENV, str(tmp_path / EVALUATOR_DEFAULT_FILE),
                 "INTERVIEW_ENGINE_EVALUATOR_OPTIONS", "interview-engine-gguf[demo]"):
        assert part in message


def test_the_factory_raises_model_not_found_for_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=r"no GGUF at .*missing.gguf"):
        gguf_evaluator(model_path=str(tmp_path / "missing.gguf"))


def test_explicit_path_env_and_models_dir(tmp_path: Path, smollm2_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _find(tmp_path, model_path=str(smollm2_path)) == smollm2_path
    monkeypatch.setenv(MODEL_ENV, str(smollm2_path))
    assert _find(tmp_path) == smollm2_path
    monkeypatch.setenv(MODEL_ENV, "smollm2-135m")
    assert _find(tmp_path) == smollm2_path
    monkeypatch.delenv(MODEL_ENV)
    default = tmp_path / EVALUATOR_DEFAULT_FILE
    default.symlink_to(smollm2_path)
    assert _find(tmp_path) == default


def test_an_unknown_model_name_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=r"option model names 'nope'.*neither a model package"):
        _find(tmp_path, model="nope")


def test_cache_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert models_dir() == tmp_path / "models"


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04 this is a zip file, not a model" * 2,
                                     b"GGUF\x09\x00\x00\x00" + bytes(16)], ids=["empty", "not-gguf", "version"])
def test_a_file_that_is_not_gguf_is_corrupt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(CorruptModel, match=r"model.gguf"):
        gguf_evaluator(model_path=str(path))


@pytest.fixture
def truncated(tmp_path: Path, smollm2_path: Path) -> Path:
    """The first third of the SmolLM2 GGUF: a valid header, most tensor data missing."""
    path = tmp_path / "truncated.gguf"
    with smollm2_path.open("rb") as src:
        path.write_bytes(src.read(smollm2_path.stat().st_size // 3))
    return path


@pytest.mark.anyio
async def test_a_truncated_gguf_fails_to_load_with_corrupt_model(truncated: Path) -> None:
    backend = GGUFBackend(truncated)
    with pytest.raises(CorruptModel, match=r"truncated or corrupt"):
        await backend.load()
    with pytest.raises(CorruptModel):  # the error sticks: no reload attempt per request
        await backend.load()
    await backend.aclose()


def _fake_parts(root: Path, chunks: list[bytes]) -> tuple[PackagePart, ...]:
    """Installable-looking packages fakepartN/data/partNN.bin on ``root`` (put on sys.path)."""
    parts = []
    for i, chunk in enumerate(chunks, 1):
        data = root / f"fakepart{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"part{i:02d}.bin").write_bytes(chunk)
        parts.append(PackagePart(f"fake-part{i}", f"fakepart{i}", f"data/part{i:02d}.bin"))
    return tuple(parts)


@pytest.fixture
def chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[bytes], tuple[PackagePart, ...]]:
    data = [b"GGUF\x03\x00\x00\x00" + bytes(range(256)) * 40, b"second chunk " * 500, b"tail"]
    root = tmp_path / "site"
    monkeypatch.syspath_prepend(str(root))
    return data, _fake_parts(root, data)


def test_a_model_package_is_assembled_once_and_verified(tmp_path: Path, chunks) -> None:  # type: ignore[no-untyped-def]
    data, parts = chunks
    whole = b"".join(data)
    package = ModelPackage("fake", "fake.gguf", parts, "pip install fake", len(whole),
                           hashlib.sha256(whole).hexdigest())
    target = package.prepare(tmp_path / "models", progress=False)
    assert target.read_bytes() == whole
    before = target.stat().st_mtime_ns
    assert package.prepare(tmp_path / "models", progress=False) == target
    assert target.stat().st_mtime_ns == before  # not assembled again


def test_a_wrong_checksum_is_typed_and_leaves_nothing_behind(tmp_path: Path, chunks) -> None:  # type: ignore[no-untyped-def]
    data, parts = chunks
    size = sum(len(c) for c in data)
    package = ModelPackage("fake", "fake.gguf", parts, "pip install fake", size, "0" * 64)
    with pytest.raises(ChecksumMismatch, match=r"model package 'fake' assembled to sha256 .*reinstall"):
        package.prepare(tmp_path / "models", progress=False)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_wrong_total_size_is_a_checksum_mismatch(tmp_path: Path, chunks) -> None:  # type: ignore[no-untyped-def]
    _, parts = chunks
    package = ModelPackage("fake", "fake.gguf", parts, "pip install fake", 10, "0" * 64)
    with pytest.raises(ChecksumMismatch, match=r"add up to"):
        package.prepare(tmp_path / "models", progress=False)


def test_a_package_with_missing_parts_is_not_found(tmp_path: Path) -> None:
    parts = (PackagePart("absent-part1", "absent_part_module_1", "data/part01.bin"),)
    package = ModelPackage("absent", "absent.gguf", parts, "pip install absent-part1", 1, "0" * 64)
    with pytest.raises(ModelNotFound, match=r"model package 'absent' is not installed.*pip install absent-part1"):
        package.prepare(tmp_path)
