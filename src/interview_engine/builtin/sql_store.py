"""Registers the SQL store (SQLite by default, Postgres through a postgresql+asyncpg URL)."""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl


@hookimpl
def register_stores(register: Any) -> None:
    from ..store.sql import SQLStore

    register("sql", SQLStore)
