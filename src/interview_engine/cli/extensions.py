"""Subcommands that other distributions add to ``interview-engine``.

A distribution declares an entry point in the group ``interview_engine.cli`` naming a function that
receives the subparsers object and adds its commands, each with ``set_defaults(handler=...)``; a handler
takes ``(args, settings)`` and returns the exit code, like the built-in ones::

    [project.entry-points."interview_engine.cli"]
    server = "interview_engine_server.cli:register"

    def register(commands):
        serve = commands.add_parser("serve", help="run the HTTP server")
        serve.set_defaults(handler=run_serve)

An extension that fails to import is skipped with a warning, so one broken package cannot take the
whole command line down.
"""

from __future__ import annotations

import argparse
import logging
from importlib.metadata import entry_points

log = logging.getLogger(__name__)

CLI_ENTRY_POINT_GROUP = "interview_engine.cli"


def add_extension_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Let every installed ``interview_engine.cli`` entry point add its subcommands."""
    for entry_point in sorted(entry_points(group=CLI_ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        try:
            register = entry_point.load()
            register(commands)
        except Exception as exc:  # a broken extension must say which one it is, and not break the others
            log.warning("CLI extension %r (%s) failed to load: %s", entry_point.name, entry_point.value, exc)
