"""Deferred imports: public names resolved on first use (PEP 562), so importing a module costs only what
its caller uses, and provider factories imported when the engine first builds one.

A module that re-exports names from others declares them twice, on purpose: in an ``if TYPE_CHECKING:``
block of ``from module import Name as Name`` lines, which type checkers and editors read, and in a table
of module -> names that ``lazy_exports`` turns into the module's ``__getattr__`` and ``__dir__``.
``tests/core/test_plugin_api.py`` checks that the two agree with each other and with ``__all__``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
from collections.abc import Callable, Mapping


def lazy_exports(
    module_name: str, exports: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``module_name``, whose public names are defined in the modules
    that ``exports`` maps to them (absolute module names)."""
    source_of = {name: source for source, names in exports.items() for name in names}

    def __getattr__(name: str) -> object:
        source = source_of.get(name)
        if source is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(sys.modules[module_name], name, value)  # later lookups find a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(set(source_of) | set(vars(sys.modules[module_name])))

    return __getattr__, __dir__


class LazyFactory:
    """A provider factory named by import path, ``"package.module:Name"``: registering it imports nothing;
    the engine imports it when it first checks the options against its signature or calls it. Plugins get
    it as ``plugin_api.lazy_factory``, so discovering a plugin never loads its heavy libraries."""

    def __init__(self, target: str) -> None:
        module, _, name = target.partition(":")
        if not module or not name.isidentifier():
            raise ValueError(f"expected 'package.module:Name', got {target!r}")
        self.target = target

    @functools.cached_property
    def factory(self) -> Callable[..., object]:
        module, _, name = self.target.partition(":")
        factory: Callable[..., object] = getattr(importlib.import_module(module), name)
        return factory

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.factory)

    def __call__(self, *args: object, **options: object) -> object:
        return self.factory(*args, **options)

    def __repr__(self) -> str:
        return f"lazy_factory({self.target!r})"


def lazy_factory(target: str) -> LazyFactory:
    """A provider factory imported on first use, named ``"package.module:Name"``.

    ``register("myvendor", lazy_factory("my_plugin.transcriber:MyTranscriber"))`` imports nothing; options
    are still checked against the real factory's signature before it runs."""
    return LazyFactory(target)
