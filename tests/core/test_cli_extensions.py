"""The CLI extension point: distributions add subcommands through the ``interview_engine.cli`` entry point
group; a broken one is skipped with a warning and the rest of the command line works."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from interview_engine.cli import extensions, main


def test_an_installed_extension_adds_its_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])  # added by the interview-engine-server distribution
    assert done.value.code == 0
    assert "--port" in capsys.readouterr().out


def test_a_broken_extension_is_skipped_with_a_warning(monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    broken = EntryPoint("broken", "no_such_module_anywhere:register", extensions.CLI_ENTRY_POINT_GROUP)
    real = list(extensions.entry_points(group=extensions.CLI_ENTRY_POINT_GROUP))

    def fake_entry_points(**kwargs: Any) -> list[EntryPoint]:
        return [broken, *real]

    monkeypatch.setattr(extensions, "entry_points", fake_entry_points)
    with caplog.at_level(logging.WARNING):
        assert main(["plugins", "--json"]) == 0
    assert "broken" in caplog.text and "no_such_module_anywhere" in caplog.text
    assert capsys.readouterr().out.lstrip().startswith("[")
