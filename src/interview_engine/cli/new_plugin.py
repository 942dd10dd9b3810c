"""`interview-engine new-plugin NAME --family FAMILY`: write a pip-installable plugin package whose
provider passes the family's conformance suite as generated, with the tests that run it.

The files come from ``templates/``: ``common/`` for every family (pyproject, README, entry point module),
``<family>/`` for the provider and its tests. The result passes the engine's own checks (``ruff``, the
conformance suite, the plugin-API import check); ``tests/core/test_new_plugin.py`` proves it for every
family by installing what this writes into a fresh virtual environment.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from importlib.metadata import entry_points, version
from importlib.resources import files
from pathlib import Path
from string import Template

from ..settings import Settings
from .failures import CommandError
from .terminal import emit, visible

NAME = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
MAX_NAME_CHARS = 24
ANYIO = "anyio>=4.4"
"""For the providers that run their work in a worker thread (``anyio.to_thread``): a plugin declares what it
imports, even what interview-engine happens to install."""


@dataclass(frozen=True)
class Family:
    """What differs between the plugins of one provider family."""

    hook: str
    module: str
    suffix: str
    what: str
    description: str
    dependencies: tuple[str, ...] = ()
    test_dependencies: tuple[str, ...] = ()


FAMILIES: dict[str, Family] = {
    "evaluator": Family("register_evaluators", "evaluator", "Evaluator", "evaluator",
                        "an evaluator that scores answers by the question's key terms they use", (ANYIO,)),
    "question_source": Family("register_question_sources", "questions", "QuestionSource", "question source",
                              "a question source that asks the questions you give it and follows up on short "
                              "answers"),
    "transcriber": Family("register_transcribers", "transcriber", "Transcriber", "transcriber",
                          "an offline English transcriber on PocketSphinx",
                          (ANYIO, "pocketsphinx>=5", "numpy>=1.26")),
    "emotion_analyzer": Family("register_emotion_analyzers", "analyzer", "EmotionAnalyzer", "emotion analyzer",
                               "an emotion analyzer on OpenCV face detection and fer's TFLite expression model",
                               (ANYIO, "opencv-python-headless>=4.8,<5", "ai-edge-litert>=1.2", "numpy>=1.26"),
                               ("scikit-image>=0.22",)),
    "store": Family("register_stores", "store", "Store", "store", "a store that keeps interviews in memory", (ANYIO,)),
}
"""Provider family (as the settings name it) -> what its plugin looks like."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``new-plugin`` command."""
    parser = commands.add_parser("new-plugin", help="write a new plugin package that passes the conformance suite",
                                 description=__doc__.splitlines()[0].strip("`"))
    parser.add_argument("name", metavar="NAME", help="the provider's name, e.g. acme or acme-scorer")
    parser.add_argument("--family", required=True, choices=FAMILIES, help="what the plugin provides")
    parser.add_argument("--directory", type=Path,
                        help="where to write it (default: ./interview-engine-NAME); must not exist or be empty")
    parser.set_defaults(handler=new_plugin_command)


def new_plugin_command(args: argparse.Namespace, settings: Settings) -> int:
    values = template_values(args.name, args.family)
    target = args.directory or Path(values["distribution"])
    written = write_plugin(target, args.family, values)
    installed = {ep.name for ep in entry_points(group="interview_engine")}
    emit(f"wrote {values['distribution']} ({FAMILIES[args.family].what} {values['name']!r}) to {visible(str(target))}:")
    for path in written:
        emit(f"  {visible(str(path.relative_to(target)))}")
    if values["name"] in installed:
        emit(f"note: an installed plugin is already named {values['name']!r}; pick one with INTERVIEW_ENGINE_PLUGINS")
    emit(f"next: pip install -e '{visible(str(target))}[test]' && pytest {visible(str(target))}")
    return 0


def template_values(name: str, family: str) -> dict[str, str]:
    """What the templates are filled with, for provider ``name`` of ``family``."""
    if len(name) > MAX_NAME_CHARS or not NAME.fullmatch(name):
        raise CommandError(f"invalid plugin name {name[:60]!r}: use lower-case letters, digits, '-' and '_', "
                           f"starting with a letter, at most {MAX_NAME_CHARS} characters")
    spec = FAMILIES[family]
    identifier = name.replace("-", "_")
    engine = f"interview-engine>={'.'.join(version('interview-engine').split('.')[:2])}"
    return {
        "name": identifier,
        "family": family,
        "package": f"interview_engine_{identifier}",
        "distribution": f"interview-engine-{identifier.replace('_', '-')}",
        "class_name": "".join(part.title() for part in identifier.split("_")) + spec.suffix,
        "hook": spec.hook,
        "module": spec.module,
        "what": spec.what,
        "setting": family,
        "setting_env": family.upper(),
        "description": f"interview-engine plugin: {spec.description}.",
        "dependencies": _toml_list((engine, *spec.dependencies)),
        "test_dependencies": _toml_list(("pytest>=8", *spec.test_dependencies)),
    }


def write_plugin(target: Path, family: str, values: dict[str, str]) -> list[Path]:
    """Write the plugin package under ``target``; returns the files written."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CommandError(f"{visible(str(target))} already exists and is not an empty directory; "
                           "choose another --directory")
    package = Path("src") / values["package"]
    layout = {
        "common/pyproject.toml": Path("pyproject.toml"),
        "common/README.md": Path("README.md"),
        "common/__init__.py": package / "__init__.py",
        "common/plugin.py": package / "plugin.py",
        f"{family}/provider.py": package / f"{values['module']}.py",
        "common/conftest.py": Path("tests") / "conftest.py",
        f"{family}/test.py": Path("tests") / f"test_{values['name']}.py",
    }
    written = []
    for template, relative in layout.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(template, values), encoding="utf-8")
        written.append(path)
    return written


def render(template: str, values: dict[str, str]) -> str:
    """One template file (``family/file``, without ``.tmpl``) filled with ``values``."""
    text = (files(__package__) / "templates" / f"{template}.tmpl").read_text(encoding="utf-8")
    return Template(text).substitute(values)


def _toml_list(items: tuple[str, ...]) -> str:
    return ", ".join(f'"{item}"' for item in items)
