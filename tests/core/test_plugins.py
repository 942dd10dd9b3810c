"""Plugin loading: entry points, the allow-list, provider registration (one test per register hook),
and clear errors for unknown or conflicting names, misspelled hooks, bad factories and bad options."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from interview_engine import (
    ConfigurationError,
    Engine,
    ProviderError,
    Settings,
    TranscriptionOptions,
    UnknownPlugin,
    UnknownProvider,
    hookimpl,
)
from interview_engine.plugins import ProviderRegistry, build_plugin_manager, describe_plugins
from interview_engine.providers import EmotionAnalyzer, Transcriber
from interview_engine.store.sql import SQLStore
from interview_engine.testing import FakeEvaluator, FakeQuestionSource

TESTING_PLUGIN = "interview_engine.testing.plugin"


def _module(name: str, **hooks: Any) -> str:
    """Install a throwaway plugin module importable as ``name``."""
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    sys.modules[name] = module
    return name


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", **{"plugins": "", **kw})


@pytest.mark.anyio
async def test_hook_register_question_sources(tmp_path: Path) -> None:
    class Scripted(FakeQuestionSource):
        def __init__(self, prefix: str) -> None:
            super().__init__()
            self.enqueue_questions(f"{prefix} one?", f"{prefix} two?")

    name = _module("qs_plugin", register_question_sources=lambda register: register("scripted", Scripted))
    settings = _settings(tmp_path, plugin_modules=name, question_source="scripted",
                         question_source_options={"prefix": "Custom"})
    async with Engine(settings) as engine:
        session = await engine.start({"role": "backend", "question_count": 2})
    assert [q.text for q in session.questions] == ["Custom one?", "Custom two?"]


@pytest.mark.anyio
async def test_hook_register_evaluators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed example plugin, loaded through its entry point, scores and archives reports."""
    monkeypatch.setenv("KEYWORDS_REPORT_DIR", str(tmp_path))
    settings = _settings(tmp_path, plugins="keywords", evaluator="keywords")
    async with Engine(settings) as engine:
        session = await engine.start({"role": "backend", "question_count": 1,
                                      "custom_questions": ["How do database indexes speed up queries?"]})
        question = session.current_question
        assert question is not None
        await session.answer(question.id, "A database index is a sorted structure. It lets queries skip rows "
                                          "instead of scanning the whole table, at some cost to writes.")
        await session.finish()
        report = await session.report(timeout=10)
    evaluation = report.questions[0].evaluation
    assert evaluation is not None and evaluation.status == "done" and evaluation.evaluator == "keywords"
    assert evaluation.scores[0].score == 50  # "database" and "queries" (the answer says index, not indexes)
    archived = json.loads((tmp_path / f"{session.id}.json").read_text())
    assert archived["overall_score"] == report.overall_score


def test_hook_register_transcribers() -> None:
    registry = ProviderRegistry(build_plugin_manager([], modules=[TESTING_PLUGIN]))
    transcriber = registry.create("transcriber", "fake")
    assert isinstance(transcriber, Transcriber)
    assert registry.get("transcriber", "fake").plugin == TESTING_PLUGIN
    assert TranscriptionOptions().sample_rate == 16000


def test_hook_register_emotion_analyzers() -> None:
    registry = ProviderRegistry(build_plugin_manager([], modules=[TESTING_PLUGIN]))
    assert isinstance(registry.create("emotion_analyzer", "fake"), EmotionAnalyzer)


@pytest.mark.anyio
async def test_hook_register_stores(tmp_path: Path) -> None:
    opened: list[str] = []

    class AuditedStore(SQLStore):
        async def open(self) -> None:
            opened.append(str(self.url))
            await super().open()

    name = _module("store_plugin", register_stores=lambda register: register("audited", AuditedStore))
    settings = _settings(tmp_path, plugin_modules=name, store="audited")
    async with Engine(settings) as engine:
        await engine.start({"role": "backend", "question_count": 1})
        assert isinstance(engine.store, AuditedStore)
    assert opened == [settings.database_url]
    assert ProviderRegistry(build_plugin_manager([])).names("store") == ["sql"]


def test_allow_list_selects_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEW_ENGINE_PLUGINS", "keywords")
    names = [name for name, _ in build_plugin_manager().list_name_plugin()]
    assert "keywords" in names and all(n == "keywords" or n.startswith("interview_engine.") for n in names)
    monkeypatch.setenv("INTERVIEW_ENGINE_PLUGINS", "")
    assert all(n.startswith("interview_engine.") for n, _ in build_plugin_manager().list_name_plugin())


def test_allow_list_naming_a_missing_plugin_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERVIEW_ENGINE_PLUGINS", "keywords,not-installed")
    with pytest.raises(UnknownPlugin, match="not-installed"):
        build_plugin_manager()


def test_unimportable_plugin_module_fails() -> None:
    with pytest.raises(UnknownPlugin, match="no_such_module"):
        build_plugin_manager([], modules=["no_such_module"])


def test_unknown_provider_lists_the_choices() -> None:
    registry = ProviderRegistry(build_plugin_manager([], modules=[TESTING_PLUGIN]))
    with pytest.raises(UnknownProvider, match=r"no evaluator named 'gpt9' is registered \(available: fake\)"):
        registry.create("evaluator", "gpt9")


def test_conflicting_names_fail_naming_both_plugins() -> None:
    a = _module("conflict_a", register_evaluators=lambda register: register("same", object))
    b = _module("conflict_b", register_evaluators=lambda register: register("same", object))
    with pytest.raises(ConfigurationError, match=r"conflict_a.*conflict_b|conflict_b.*conflict_a"):
        ProviderRegistry(build_plugin_manager([], modules=[a, b]))


@pytest.mark.anyio
async def test_provider_must_implement_its_protocol(tmp_path: Path) -> None:
    name = _module("bad_provider", register_evaluators=lambda register: register("bad", object))
    with pytest.raises(ConfigurationError, match="does not implement Evaluator"):
        async with Engine(_settings(tmp_path, plugin_modules=name, evaluator="bad")):
            pass


@pytest.mark.anyio
async def test_store_must_implement_the_store_protocol(tmp_path: Path) -> None:
    class NotAStore:
        def __init__(self, url: str) -> None:
            self.url = url

        async def open(self) -> None: ...

    name = _module("bad_store", register_stores=lambda register: register("half", NotAStore))
    with pytest.raises(ConfigurationError, match="store 'half' does not implement Store"):
        async with Engine(_settings(tmp_path, plugin_modules=name, store="half")):
            pass


@pytest.mark.anyio
async def test_bad_provider_options(tmp_path: Path) -> None:
    settings = _settings(tmp_path, plugin_modules=TESTING_PLUGIN, evaluator="fake",
                         evaluator_options={"temperature": 3})
    with pytest.raises(ConfigurationError, match="bad options for evaluator 'fake'"):
        async with Engine(settings):
            pass


def test_describe_lists_versions_providers_and_hooks() -> None:
    infos = {i.name: i for i in describe_plugins(build_plugin_manager(["keywords"]))}
    assert infos["keywords"].version == "0.1.0" and not infos["keywords"].builtin
    assert infos["keywords"].providers == {"evaluator": ["keywords"]}
    assert "on_session_finished" in infos["keywords"].hooks
    assert infos["interview_engine.builtin.question_bank"].providers == {"question_source": ["bank"]}


@pytest.mark.anyio
async def test_media_providers_are_created_on_first_use_and_closed(tmp_path: Path) -> None:
    closed: list[str] = []

    class ClosingAnalyzer:
        async def analyze(self, frame: Any) -> Any:
            raise NotImplementedError

        async def aclose(self) -> None:
            closed.append("analyzer")

    name = _module("media_plugin", register_emotion_analyzers=lambda register: register("fer_lite", ClosingAnalyzer))
    settings = _settings(tmp_path, plugin_modules=f"{name},{TESTING_PLUGIN}", transcriber="fake")
    async with Engine(settings) as engine:
        transcriber = await engine.transcriber()
        assert isinstance(transcriber, Transcriber) and await engine.transcriber() is transcriber
        analyzer = await engine.emotion_analyzer()  # "auto" finds the embedded default's name
        assert isinstance(analyzer, ClosingAnalyzer)
    assert closed == ["analyzer"]


@pytest.mark.anyio
async def test_media_providers_auto_without_plugins_and_unknown_names(tmp_path: Path) -> None:
    async with Engine(_settings(tmp_path)) as engine:
        assert await engine.transcriber() is None and await engine.emotion_analyzer() is None
    async with Engine(_settings(tmp_path, transcriber="whisper-9000")) as engine:
        with pytest.raises(UnknownProvider, match="whisper-9000"):
            await engine.transcriber()


def test_misspelled_hook_names_the_plugin_and_the_hook_meant() -> None:
    name = _module("typo_plugin", register_evaluator=lambda register: register("typo", FakeEvaluator))
    with pytest.raises(ConfigurationError, match=r"plugin 'typo_plugin' implements an unknown hook "
                                                 r"'register_evaluator'; did you mean 'register_evaluators'\?"):
        build_plugin_manager([], modules=[name])


def test_hook_argument_missing_from_its_spec_names_the_plugin() -> None:
    name = _module("argname_plugin", after_answer_recorded=lambda interview, reply: None)
    with pytest.raises(ConfigurationError, match=r"plugin 'argname_plugin'.*after_answer_recorded.*'reply'"):
        build_plugin_manager([], modules=[name])


def test_non_callable_factory_names_the_plugin() -> None:
    name = _module("noncallable_plugin", register_evaluators=lambda register: register("broken", "evaluator.py"))
    with pytest.raises(ConfigurationError, match=r"plugin 'noncallable_plugin' registered evaluator 'broken' with "
                                                 r"a factory that is not callable: 'evaluator.py'"):
        ProviderRegistry(build_plugin_manager([], modules=[name]))


def test_failing_register_hook_names_the_plugin() -> None:
    def register_evaluators(register: Any) -> None:
        raise RuntimeError("no credentials in the environment")

    name = _module("raising_plugin", register_evaluators=register_evaluators)
    with pytest.raises(ConfigurationError, match="plugin 'raising_plugin' failed in register_evaluators: "
                                                 "RuntimeError: no credentials in the environment"):
        ProviderRegistry(build_plugin_manager([], modules=[name]))


def _registry_with(**factories: Any) -> ProviderRegistry:
    def register_evaluators(register: Any) -> None:
        for provider_name, factory in factories.items():
            register(provider_name, factory)

    name = _module(f"factories_{'_'.join(factories)}", register_evaluators=register_evaluators)
    return ProviderRegistry(build_plugin_manager([], modules=[name]))


def test_options_that_do_not_bind_are_bad_options() -> None:
    def strict(model: str, *, temperature: float = 0.0) -> FakeEvaluator:
        return FakeEvaluator()

    registry = _registry_with(strict=strict)
    with pytest.raises(ConfigurationError, match=r"bad options for evaluator 'strict': got an unexpected keyword "
                                                 r"argument 'modle' \(it takes: model, temperature\)"):
        registry.create("evaluator", "strict", {"modle": "m", "model": "m"})
    with pytest.raises(ConfigurationError, match=r"bad options for evaluator 'strict': missing a required "
                                                 r"argument: 'model'"):
        registry.create("evaluator", "strict", {})
    assert isinstance(registry.create("evaluator", "strict", {"model": "m"}), FakeEvaluator)


def test_factorys_own_type_error_is_a_provider_error_not_bad_options() -> None:
    def buggy(model: str = "m") -> FakeEvaluator:
        return FakeEvaluator(model)  # type: ignore[misc]  # the factory's own bug: options bind, the call inside fails

    with pytest.raises(ProviderError, match=r"evaluator 'buggy' failed to start: TypeError: FakeEvaluator.__init__"
                                            r"\(\) takes 1 positional argument but 2 were given"):
        _registry_with(buggy=buggy).create("evaluator", "buggy", {"model": "x"})


def test_register_hooks_run_through_pluggy_so_wrappers_see_them() -> None:
    calls: list[str] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def register_evaluators(self, register: Any) -> Any:
            calls.append("before")
            result = yield
            calls.append("after")
            return result

    pm = build_plugin_manager([], modules=[TESTING_PLUGIN])
    pm.register(Wrapper(), name="wrapper")
    registry = ProviderRegistry(pm)
    assert calls == ["before", "after"]
    assert registry.get("evaluator", "fake").plugin == TESTING_PLUGIN
