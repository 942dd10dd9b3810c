"""The docs cannot drift: docs/plugins.md's generated sections match what scripts/gen_docs.py writes from the
code, and every code block in README.md and docs/ runs (Sybil reads the blocks): Python with the names the
docs assume (an open engine on fake providers, a session, some audio and camera frames), TOML and JSON are
parsed and checked, shell runs in a scratch directory, HTML and CSS for the widget name only attributes,
custom properties and parts the widget has. A block that cannot run says why in a
``<!-- skip: next "reason" -->`` comment before it. The plugins' READMEs install packages and load models,
so their shell lines are checked rather than run: what they tell interview-engine must still hold."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, redirect_stderr
from datetime import UTC, datetime
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import SkipTest

import numpy as np
import pytest
from anyio.from_thread import start_blocking_portal
from sybil import Example, Sybil
from sybil.parsers.markdown import CodeBlockParser, SkipParser

from interview_engine import Engine, load_settings
from interview_engine.cli import _parser
from interview_engine.plugins import ProviderRegistry, build_plugin_manager
from interview_engine.providers import FAMILIES
from interview_engine.settings import Settings
from interview_engine.testing import FakeTranscriber, speech
from interview_engine.testing.conformance import voiced

ROOT = Path(__file__).parents[2]
DOCUMENTS = ["README.md", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))]
SKIP = re.compile(r"<!-- skip: (?P<action>\w+)(?P<reason>[^>]*)-->")
ANSWER = "I would add an index on user_id and check the plan with EXPLAIN ANALYZE before and after."


def test_generated_docs_are_current() -> None:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    gen_docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_docs)
    current = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert gen_docs.generate(current) == current, "docs/plugins.md is out of date: run python scripts/gen_docs.py"


# --- evaluators for each language ----------------------------------------------------------------------

def run_python(example: Example) -> None:
    """Run a block in its document's namespace; a block with top-level ``await`` runs on the portal's loop."""
    source = "\n" * example.line + example.parsed
    code = compile(source, example.path, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    result = eval(code, example.namespace)
    if inspect.iscoroutine(result):
        async def finish() -> None:
            await result

        example.namespace["portal"].call(finish)


def check_toml(example: Example) -> None:
    data = tomllib.loads(example.parsed)
    if "project" in data:  # a package's pyproject: everything pip needs to build and register it
        assert {"requires", "build-backend"} <= set(data["build-system"])
        assert {"name", "version"} <= set(data["project"]) and data["project"]["entry-points"]["interview_engine"]
    else:  # interview-engine settings
        path = example.namespace["scratch"] / "interview-engine.toml"
        path.write_text(example.parsed, encoding="utf-8")
        load_settings(path)


def check_json(example: Example) -> None:
    json.loads(example.parsed)


WIDGET_SOURCE = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "web_widget" / "src").rglob("*.ts")))


class _WidgetTags(HTMLParser):
    """Collects the attributes of every <interview-widget> in an HTML block."""

    def __init__(self) -> None:
        super().__init__()
        self.widgets: list[set[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "interview-widget":
            self.widgets.append({name for name, _ in attrs})


def check_html(example: Example) -> None:
    """A host page snippet: every attribute given to <interview-widget> is one the widget reads."""
    tags = _WidgetTags()
    tags.feed(example.parsed)
    read = set(re.findall(r'getAttribute\("([a-z-]+)"\)', WIDGET_SOURCE))
    for attributes in tags.widgets:
        assert attributes <= read, f"the widget does not read {attributes - read}"


def check_css(example: Example) -> None:
    """Theming: every --iw-* custom property and ::part() named is one the widget has."""
    for name in re.findall(r"(--iw-[a-z-]+)\s*:", example.parsed):
        assert f"var({name}," in WIDGET_SOURCE, f"the widget has no custom property {name}"
    parts = {word for value in re.findall(r'part: "([^"]+)"', WIDGET_SOURCE) for word in value.split()}
    for name in re.findall(r"::part\(([a-z-]+)\)", example.parsed):
        assert name in parts, f"the widget has no part {name}"


def run_shell(example: Example) -> None:
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", example.parsed], cwd=example.namespace["scratch"],
                            capture_output=True, text=True, timeout=120, env=os.environ | {
                                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr


SYBIL = Sybil(parsers=[
    CodeBlockParser("python", run_python),
    CodeBlockParser("toml", check_toml),
    CodeBlockParser("json", check_json),
    CodeBlockParser("bash", run_shell),
    CodeBlockParser("html", check_html),
    CodeBlockParser("css", check_css),
    SkipParser(),
])


# --- what the docs' examples assume ---------------------------------------------------------------------

async def pcm_chunks() -> AsyncIterator[bytes]:
    """A browser's audio: 48 kHz stereo, a spoken-like signal, then quiet."""
    audio = speech.browser_audio(voiced(1.5), silence_s=1.5)
    for i in range(0, len(audio), 3840):
        yield audio[i:i + 3840]


async def camera_frames() -> AsyncIterator[tuple[np.ndarray, float]]:
    for second in range(3):
        yield np.full((120, 160, 3), 90, dtype=np.uint8), float(second)


async def start_session(engine: Engine) -> dict[str, Any]:
    transcriber = await engine.transcriber()
    assert isinstance(transcriber, FakeTranscriber)
    transcriber.enqueue(ANSWER)
    session = await engine.start({"role": "Backend engineer", "question_count": 3, "emotion_analysis": True})
    return {"engine": engine, "session": session, "question": session.current_question}


@pytest.fixture
def namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for name in [n for n in os.environ if n.startswith("INTERVIEW_ENGINE_")]:
        monkeypatch.delenv(name)
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'docs.db'}", "PLUGINS": "",
           "PLUGIN_MODULES": "interview_engine.testing.plugin", "EVALUATOR": "fake", "TRANSCRIBER": "fake",
           "EMOTION_ANALYZER": "fake"}
    for name, value in env.items():
        monkeypatch.setenv(f"INTERVIEW_ENGINE_{name}", value)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    with ExitStack() as stack:
        portal = stack.enter_context(start_blocking_portal())
        names: dict[str, Any] = {
            "portal": portal, "scratch": tmp_path, "settings": settings, "datetime": datetime, "UTC": UTC,
            "spec": {"role": "Backend engineer", "question_count": 2},
            "input": lambda prompt="": ANSWER, "pcm_chunks": pcm_chunks(), "camera_frames": camera_frames,
            "show_live": lambda text: None,
        }
        engine = stack.enter_context(portal.wrap_async_context_manager(Engine(settings)))
        names.update(portal.call(start_session, engine))
        yield names


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_code_block_runs(document: str, namespace: dict[str, Any]) -> None:
    parsed = SYBIL.parse(ROOT / document)
    parsed.namespace.update(namespace)
    ran = 0
    for example in parsed:
        try:
            example.evaluate()
        except SkipTest:
            continue
        except Exception as exc:
            raise AssertionError(f"{document}, line {example.line}: {type(exc).__name__}: {exc}") from exc
        ran += 1
    assert ran or document == "docs/deployment.md"


@pytest.mark.parametrize("document", DOCUMENTS)
def test_blocks_that_cannot_run_say_why(document: str) -> None:
    text = (ROOT / document).read_text(encoding="utf-8")
    for match in SKIP.finditer(text):
        assert match["action"] == "next" and len(match["reason"].strip().strip('"')) > 10, match[0]
    fences = re.findall(r"^\s*```(\S*)", text, re.M)
    languages = fences[::2]  # every other fence opens a block
    assert set(languages) <= {"python", "toml", "json", "bash", "html", "css"}, \
        f"a block in a language nothing runs: {languages}"


# --- the plugins' READMEs -------------------------------------------------------------------------------

PLUGIN_READMES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "plugins").glob("*/README.md"))
SHELL_BLOCK = re.compile(r"^```(?:sh|bash)\n(.*?)^```", re.M | re.S)
ASSIGNMENT = re.compile(r"(?P<name>[A-Za-z_]\w*)=(?P<value>.*)", re.S)
OPTIONS = re.compile(r"INTERVIEW_ENGINE_(?P<family>[A-Z_]+)_OPTIONS")


def cli_error(argv: list[str]) -> str:
    """What the CLI's own parser says about ``argv``; empty when it parses."""
    said = StringIO()
    with redirect_stderr(said):
        try:
            _parser().parse_args(argv)
        except SystemExit as exc:
            return said.getvalue() if exc.code else ""
    return ""


@pytest.fixture(scope="module")
def registry() -> ProviderRegistry:
    return ProviderRegistry(build_plugin_manager(from_env=False))


@pytest.mark.parametrize("readme", PLUGIN_READMES)
def test_plugin_readme_commands_parse_and_options_bind(readme: str, registry: ProviderRegistry) -> None:
    """In every shell line: an ``interview-engine`` command parses with the CLI's parser, each
    ``INTERVIEW_ENGINE_*`` variable is a setting or one the plugin reads, a provider selected with
    ``INTERVIEW_ENGINE_<FAMILY>=`` is registered, and ``INTERVIEW_ENGINE_<FAMILY>_OPTIONS`` is JSON whose keys
    bind to the plugin's provider of that family."""
    plugin = Path(readme).parent.name
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "plugins" / plugin / "src").rglob("*.py"))
    settings = {f"INTERVIEW_ENGINE_{name.upper()}" for name in Settings.model_fields}
    commands = 0
    for block in SHELL_BLOCK.findall((ROOT / readme).read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and (assignment := ASSIGNMENT.fullmatch(words[0])):
                words.pop(0)
                name, value = assignment["name"], assignment["value"]
                if not name.startswith("INTERVIEW_ENGINE_"):
                    continue
                where = f"{readme}: {name}"
                assert name in settings or f'"{name}"' in source, f"{where} is neither a setting nor read by {plugin}"
                family = name.removeprefix("INTERVIEW_ENGINE_").lower()
                if family in FAMILIES:
                    assert value in registry.names(family), f"{where}: no {family} {value!r}"
                elif options := OPTIONS.fullmatch(name):
                    factory = registry.get(options["family"].lower(), plugin).factory
                    try:
                        inspect.signature(factory).bind(**json.loads(value))
                    except TypeError as exc:
                        raise AssertionError(f"{where}: {exc}") from exc
            if words[:1] == ["interview-engine"]:
                commands += 1
                assert cli_error(words[1:]) == "", f"{readme}: {line.strip()}"
    assert commands, f"{readme} shows no interview-engine command"
