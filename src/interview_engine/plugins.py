"""Plugin loading: built-ins plus the ``interview_engine`` entry point group, filtered by an allow-list;
the provider registry the register hooks fill; and lifecycle hooks called from async code.

Every hook is called through pluggy (``pm.hook``), so ``tryfirst``/``trylast`` and hook wrappers work as
pluggy documents. The manager checks each plugin as it is registered (an unknown hook name or an argument
its spec lacks is a ConfigurationError naming the plugin) and wraps each of its implementations so that
errors name the plugin at fault: a register hook that raises, or registers something that is not a
factory, fails loading; a lifecycle implementation that raises is logged and the others still run.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib.metadata import entry_points, version
from typing import Any

import anyio
import pluggy

from . import hookspecs
from .errors import (
    ConfigurationError,
    InterviewEngineError,
    ProviderError,
    UnknownPlugin,
    UnknownProvider,
    error_summary,
)
from .hookspecs import PROJECT, PROVIDER_HOOKS
from .providers import FAMILIES, ProviderFactory
from .settings import Settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "interview_engine"
ALLOW_LIST_ENV = "INTERVIEW_ENGINE_PLUGINS"

BUILTIN_PLUGINS: tuple[str, ...] = (
    "interview_engine.builtin.question_bank",
    "interview_engine.builtin.sql_store",
)

REGISTER_HOOKS = frozenset(PROVIDER_HOOKS.values())

_registering_plugin: ContextVar[str | None] = ContextVar("registering_plugin", default=None)
"""The plugin whose register hook is running, so ``register(name, factory)`` knows who called it."""


@dataclass(frozen=True)
class RegisteredProvider:
    """A provider factory and the plugin that registered it."""

    family: str
    name: str
    factory: ProviderFactory
    plugin: str


@dataclass
class PluginInfo:
    """An installed plugin as `interview-engine plugins` shows it."""

    name: str
    version: str
    builtin: bool
    hooks: list[str]
    providers: dict[str, list[str]] = field(default_factory=dict)


class EnginePluginManager(pluggy.PluginManager):
    """pluggy's PluginManager with the engine's hook specs, checking and wrapping each plugin it registers
    (see the module docstring). Plugins registered later, by a host or a test, get the same treatment."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)

    def register(self, plugin: object, name: str | None = None) -> str | None:
        label = name or self.get_canonical_name(plugin)
        try:
            registered = super().register(plugin, name)
        except pluggy.PluginValidationError as exc:
            problem = " ".join(str(exc).split())
            raise ConfigurationError(f"plugin {label!r} does not fit the hook specs: {problem}") from exc
        try:
            self.check_pending()
        except pluggy.PluginValidationError as exc:
            message = self._unknown_hooks(plugin, label)
            self.unregister(plugin)
            raise ConfigurationError(message) from exc
        for caller in self.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not (impl.wrapper or impl.hookwrapper):
                    # pluggy offers no hook around one implementation's call; its HookImpl keeps the
                    # function in a plain attribute that every call reads, so the guard replaces it there
                    impl.function = _guarded(caller.name, label, impl.function)  # type: ignore[misc]
        return registered

    def _unknown_hooks(self, plugin: object, label: str) -> str:
        known = [name for name in vars(self.hook) if getattr(self.hook, name).has_spec()]
        unknown = [c.name for c in self.get_hookcallers(plugin) or [] if not c.has_spec()]
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1)
            hints.append(f"{name!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
        return (f"plugin {label!r} implements an unknown hook {', '.join(hints)} "
                f"(mark a hook of your own with @hookimpl(optionalhook=True))")


def _guarded(hook_name: str, plugin: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (one plugin's implementation of ``hook_name``) with its errors attributed to ``plugin``."""
    if hook_name in REGISTER_HOOKS:

        @functools.wraps(function)
        def register_hook(*args: Any, **kwargs: Any) -> Any:
            token = _registering_plugin.set(plugin)
            try:
                return function(*args, **kwargs)
            except InterviewEngineError:
                raise
            except Exception as exc:
                raise ConfigurationError(f"plugin {plugin!r} failed in {hook_name}: {error_summary(exc)}") from exc
            finally:
                _registering_plugin.reset(token)

        return register_hook

    @functools.wraps(function)
    def lifecycle_hook(*args: Any, **kwargs: Any) -> Any:
        try:
            result = function(*args, **kwargs)
        except Exception:
            log.exception("hook %s of plugin %r failed", hook_name, plugin)
            return None
        return _contained(result, hook_name, plugin) if inspect.isawaitable(result) else result

    return lifecycle_hook


async def _contained(awaitable: Awaitable[Any], hook_name: str, plugin: str) -> Any:
    try:
        return await awaitable
    except Exception:
        log.exception("hook %s of plugin %r failed", hook_name, plugin)
        return None


def parse_allow_list(raw: str | None) -> set[str] | None:
    """``None`` means load every installed plugin; an empty string means load none."""
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def build_plugin_manager(
    allow: Iterable[str] | None = None, *, modules: Iterable[str] = (), from_env: bool = True
) -> EnginePluginManager:
    """Create the PluginManager with built-ins, the allowed entry-point plugins, and any extra plugin
    ``modules`` given by import path (handy while developing a plugin, before it is installed)."""
    pm = EnginePluginManager()
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise UnknownPlugin(f"plugin module {module_name!r} cannot be imported: {exc}") from exc
        pm.register(module, name=module_name)
    allowed = set(allow) if allow is not None else None
    if allowed is None and from_env:
        allowed = parse_allow_list(os.environ.get(ALLOW_LIST_ENV))
    available = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if allowed is not None:
        unknown = sorted(allowed - set(available))
        if unknown:
            raise UnknownPlugin(
                f"{ALLOW_LIST_ENV} names plugins that are not installed: {', '.join(unknown)} "
                f"(installed: {', '.join(sorted(available)) or 'none'})"
            )
    for name, ep in sorted(available.items()):
        if allowed is not None and name not in allowed:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must say which one it is
            raise ConfigurationError(f"plugin {name!r} ({ep.value}) failed to import: {exc}") from exc
        pm.register(plugin, name=name)
    return pm


def plugin_manager_for(settings: Settings) -> EnginePluginManager:
    """The PluginManager that ``settings.plugins`` and ``settings.plugin_modules`` describe."""
    modules = [m.strip() for m in settings.plugin_modules.split(",") if m.strip()]
    return build_plugin_manager(parse_allow_list(settings.plugins), modules=modules, from_env=False)


class ProviderRegistry:
    """Provider factories by family and name, collected by calling every register hook once."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._providers: dict[str, dict[str, RegisteredProvider]] = {f: {} for f in PROVIDER_HOOKS}
        for family, hook_name in PROVIDER_HOOKS.items():
            getattr(pm.hook, hook_name)(register=functools.partial(self._register, family))

    def _register(self, family: str, name: str, factory: ProviderFactory) -> None:
        plugin = _registering_plugin.get() or "(unknown)"
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"plugin {plugin!r} registered a {family} under {name!r}; a name is a "
                                     f"non-empty string")
        if not callable(factory):
            raise ConfigurationError(f"plugin {plugin!r} registered {family} {name!r} with a factory that is "
                                     f"not callable: {factory!r}")
        existing = self._providers[family].get(name)
        if existing is not None and existing.plugin != plugin:
            raise ConfigurationError(
                f"{family} {name!r} is registered by both {existing.plugin!r} and {plugin!r}; uninstall one "
                f"or exclude it with {ALLOW_LIST_ENV}"
            )
        self._providers[family][name] = RegisteredProvider(family, name, factory, plugin)

    def names(self, family: str) -> list[str]:
        return sorted(self._providers[family])

    def get(self, family: str, name: str) -> RegisteredProvider:
        try:
            return self._providers[family][name]
        except KeyError:
            raise UnknownProvider(family, name, self.names(family)) from None

    def create(self, family: str, name: str, options: dict[str, Any] | None = None) -> Any:
        """Build the named provider with its options and check it against its family's protocol.

        Options that do not fit the factory's signature are a ConfigurationError ("bad options"); the
        factory's own typed errors pass through, and any other error it raises becomes a ProviderError.
        """
        provider = self.get(family, name)
        options = options or {}
        try:
            _check_options(provider, options)
            instance = provider.factory(**options)
        except InterviewEngineError:
            raise
        except Exception as exc:
            raise ProviderError(f"{family} {name!r} failed to start: {error_summary(exc)}") from exc
        protocol = FAMILIES[family]
        if not isinstance(instance, protocol):
            raise ConfigurationError(f"{family} {name!r} does not implement {protocol.__name__}")
        return instance

    def by_plugin(self) -> dict[str, dict[str, list[str]]]:
        out: dict[str, dict[str, list[str]]] = {}
        for family, providers in self._providers.items():
            for provider in providers.values():
                out.setdefault(provider.plugin, {}).setdefault(family, []).append(provider.name)
        return out


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every loaded plugin with its distribution version, hooks and provider names."""
    providers = ProviderRegistry(pm).by_plugin()
    versions = {ep.name: ep.dist.version for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.dist}
    core_version = version("interview-engine")
    infos = []
    for name, plugin in pm.list_name_plugin():
        builtin = name in BUILTIN_PLUGINS
        dist_version = core_version if builtin else versions.get(name, "unknown")
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        infos.append(PluginInfo(name, dist_version, builtin, hooks, providers.get(name, {})))
    return sorted(infos, key=lambda i: (not i.builtin, i.name))


def _check_options(provider: RegisteredProvider, options: dict[str, Any]) -> None:
    """Raise ConfigurationError when ``options`` do not bind to the factory's signature."""
    try:
        signature = inspect.signature(provider.factory)
    except (TypeError, ValueError):  # a callable without an introspectable signature: let the call decide
        return
    try:
        signature.bind(**options)
    except TypeError as exc:
        named = [p.name for p in signature.parameters.values()
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        raise ConfigurationError(f"bad options for {provider.family} {provider.name!r}: {exc} "
                                 f"(it takes: {', '.join(named) or 'no options'})") from None


async def call_lifecycle(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Call a lifecycle hook through pluggy and await the awaitables its implementations return.

    When any implementation (or hook wrapper) is a plain function, the whole call runs in a worker thread
    so it cannot block the event loop; the awaitables are then awaited here, in the implementations'
    order. A failing implementation is logged with its plugin's name and does not stop the others.
    """
    hook = getattr(pm.hook, hook_name)
    impls = hook.get_hookimpls()
    if not impls:
        return
    call = functools.partial(hook, **kwargs)
    try:
        if all(inspect.iscoroutinefunction(inspect.unwrap(impl.function)) for impl in impls):
            results = call()
        else:
            results = await anyio.to_thread.run_sync(call)
    except Exception:  # only a hook wrapper gets here: implementations are guarded
        log.exception("hook %s failed", hook_name)
        return
    for result in results:
        if inspect.isawaitable(result):
            try:
                await result
            except Exception:  # an awaitable a hook wrapper put in the results
                log.exception("hook %s failed", hook_name)
