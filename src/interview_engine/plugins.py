"""Plugin loading: built-ins plus the ``interview_engine`` entry point group, filtered by an allow-list,
and the provider registry the register hooks fill."""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points, version
from typing import Any

import anyio
import pluggy

from . import hookspecs
from .errors import ConfigurationError, UnknownPlugin, UnknownProvider
from .hookspecs import PROJECT, PROVIDER_HOOKS
from .providers import ProviderFactory
from .settings import Settings

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "interview_engine"
ALLOW_LIST_ENV = "INTERVIEW_ENGINE_PLUGINS"

BUILTIN_PLUGINS: tuple[str, ...] = (
    "interview_engine.builtin.question_bank",
    "interview_engine.builtin.sql_store",
)


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


def parse_allow_list(raw: str | None) -> set[str] | None:
    """``None`` means load every installed plugin; an empty string means load none."""
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def build_plugin_manager(
    allow: Iterable[str] | None = None, *, modules: Iterable[str] = (), from_env: bool = True
) -> pluggy.PluginManager:
    """Create the PluginManager with built-ins, the allowed entry-point plugins, and any extra plugin
    ``modules`` given by import path (handy while developing a plugin, before it is installed)."""
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
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


def plugin_manager_for(settings: Settings) -> pluggy.PluginManager:
    """The PluginManager that ``settings.plugins`` and ``settings.plugin_modules`` describe."""
    modules = [m.strip() for m in settings.plugin_modules.split(",") if m.strip()]
    return build_plugin_manager(parse_allow_list(settings.plugins), modules=modules, from_env=False)


class ProviderRegistry:
    """Provider factories by family and name, collected from every plugin's register hooks."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._providers: dict[str, dict[str, RegisteredProvider]] = {f: {} for f in PROVIDER_HOOKS}
        for family, hook_name in PROVIDER_HOOKS.items():
            hook = getattr(pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)

                def register(name: str, factory: ProviderFactory, *, _family: str = family,
                             _plugin: str = plugin_name) -> None:
                    self._add(RegisteredProvider(_family, name, factory, _plugin))

                impl.function(register)

    def _add(self, provider: RegisteredProvider) -> None:
        existing = self._providers[provider.family].get(provider.name)
        if existing is not None and existing.plugin != provider.plugin:
            raise ConfigurationError(
                f"{provider.family} {provider.name!r} is registered by both {existing.plugin!r} and "
                f"{provider.plugin!r}; uninstall one or exclude it with {ALLOW_LIST_ENV}"
            )
        self._providers[provider.family][provider.name] = provider

    def names(self, family: str) -> list[str]:
        return sorted(self._providers[family])

    def get(self, family: str, name: str) -> RegisteredProvider:
        try:
            return self._providers[family][name]
        except KeyError:
            raise UnknownProvider(family, name, self.names(family)) from None

    def create(self, family: str, name: str, options: dict[str, Any] | None = None) -> Any:
        """Build the named provider with its options; a factory's own errors pass through typed."""
        provider = self.get(family, name)
        try:
            return provider.factory(**(options or {}))
        except TypeError as exc:
            raise ConfigurationError(f"bad options for {family} {name!r}: {exc}") from exc

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


async def call_lifecycle(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Call every implementation of a lifecycle hook, awaiting those that return awaitables.

    Sync implementations run in a worker thread so they cannot block the event loop. A failing
    implementation is logged with its plugin's name and does not stop the others.
    """
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):
        args = [kwargs[name] for name in impl.argnames]
        plugin_name = pm.get_name(impl.plugin)
        try:
            if inspect.iscoroutinefunction(impl.function):
                await impl.function(*args)
            else:
                result = await anyio.to_thread.run_sync(impl.function, *args)
                if inspect.isawaitable(result):
                    await result
        except Exception:
            log.exception("hook %s of plugin %s failed", hook_name, plugin_name)
