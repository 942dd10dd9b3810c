"""The declared plugin API: plugins, examples and the reference server keep to their public surface; the
surface declares each name once for type checkers and once for lazy import, and both agree; importing it
stays cheap; and the imports documented before it existed keep working."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from interview_engine.testing.surface import SDK_SURFACE, imports_outside

ROOT = Path(__file__).parents[2]
LAZY_MODULES = ["interview_engine", "interview_engine.plugin_api"]
PLUGIN_TREES = [*sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "plugins").glob("*/src")), "examples"]
HEAVY = {
    "deepface": ["deepface", "onnxruntime"],
    "deepgram": ["deepgram"],
    "faster_whisper": ["faster_whisper", "ctranslate2"],
    "fer_lite": ["cv2", "ai_edge_litert"],
    "gguf": ["llama_cpp"],
    "openai_compat": ["httpx"],
    "pocketsphinx": ["pocketsphinx"],
    "transformers": ["torch", "transformers"],
}
"""In-repo plugin -> the libraries its providers need, which discovering it must not import (nor numpy)."""


@pytest.mark.parametrize("tree", PLUGIN_TREES)
def test_plugins_and_examples_import_only_the_plugin_api(tree: str) -> None:
    assert imports_outside(ROOT / tree) == []


def test_reference_server_imports_only_the_public_sdk() -> None:
    assert imports_outside(ROOT / "reference_server", SDK_SURFACE) == []


def test_the_check_names_each_import_past_the_surface(tmp_path: Path) -> None:
    (tmp_path / "plugin.py").write_text(
        "import interview_engine.session\n"
        "from interview_engine import Engine, plugin_api\n"
        "from interview_engine.plugin_api import aligned_pcm16, hookimpl\n"
        "from interview_engine.media.audio import aligned_pcm16 as pcm\n"
        "from interview_engine.plugin_api import call_lifecycle\n"
        "def factory():\n"
        "    from interview_engine.errors import ProviderError\n"
        "TARGET = 'interview_engine.store.sql:SQLStore'\n"
    )
    name = str(tmp_path / "plugin.py")
    assert imports_outside(tmp_path) == [
        f"{name}:1: interview_engine.session",
        f"{name}:4: interview_engine.media.audio import aligned_pcm16",
        f"{name}:5: interview_engine.plugin_api import call_lifecycle",
        f"{name}:7: interview_engine.errors import ProviderError",
        f"{name}:8: interview_engine.store.sql",
    ]
    assert imports_outside(tmp_path, SDK_SURFACE)[:2] == [
        f"{name}:1: interview_engine.session", f"{name}:2: interview_engine import plugin_api"]


@pytest.mark.parametrize("module_name", LAZY_MODULES)
def test_each_public_name_is_declared_for_type_checkers_and_resolves(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    [block] = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    declared: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1, ast.unparse(node)
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name} must be re-exported as itself"
            declared[alias.name] = f"interview_engine.{node.module}"
    lazy = {name: source for source, names in module._EXPORTS.items() for name in names}
    assert declared == lazy
    assert sorted(module.__all__) == sorted(lazy) and len(set(module.__all__)) == len(module.__all__)
    for name, source in lazy.items():
        assert getattr(module, name) is getattr(importlib.import_module(source), name)
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        _ = module.nothing_here


def test_importing_the_sdk_or_a_hook_marker_loads_no_heavy_library() -> None:
    code = ("import sys, interview_engine; from interview_engine.plugin_api import hookimpl, lazy_factory; "
            "print(sorted({'pydantic', 'numpy', 'sqlalchemy', 'anyio'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_the_lazy_check_covers_every_plugin_in_the_repository() -> None:
    assert sorted(HEAVY) == sorted(p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file())


@pytest.mark.parametrize("plugin", sorted(HEAVY))
def test_discovering_a_plugin_imports_only_its_entry_point(plugin: str) -> None:
    """In a fresh interpreter, registering ``plugin``'s providers imports its package and entry-point module,
    none of its provider modules and none of the libraries they need."""
    heavy = ["numpy", *HEAVY[plugin]]
    assert all(importlib.util.find_spec(name) for name in heavy)  # names that exist, so their absence means something
    code = ("import json, sys; from interview_engine.plugins import ProviderRegistry, build_plugin_manager; "
            f"ProviderRegistry(build_plugin_manager(allow=[{plugin!r}])); print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded = set(json.loads(out.stdout))
    package = f"interview_engine_{plugin}"
    assert sorted(m for m in loaded if m.split(".")[0] == package) == [package, f"{package}.plugin"]
    assert sorted(loaded & set(heavy)) == []


def test_documented_imports_keep_working() -> None:
    from interview_engine import DimensionScore, QuestionDraft, ScoreCard, hookimpl
    from interview_engine import plugin_api as api
    from interview_engine.testing.conformance import (
        EmotionAnalyzerConformance,
        EvaluatorConformance,
        QuestionSourceConformance,
        StoreConformance,
        TranscriberConformance,
    )

    assert (hookimpl, ScoreCard, DimensionScore, QuestionDraft) == (
        api.hookimpl, api.ScoreCard, api.DimensionScore, api.QuestionDraft)
    assert all(isinstance(c, type) for c in (EmotionAnalyzerConformance, EvaluatorConformance,
                                             QuestionSourceConformance, StoreConformance, TranscriberConformance))
