"""Registers the SQL store (SQLite by default, Postgres through a postgresql+asyncpg URL)."""

from __future__ import annotations

from typing import Any

from .._lazy import lazy_factory
from ..hookspecs import hookimpl


@hookimpl
def register_stores(register: Any) -> None:
    register("sql", lazy_factory("interview_engine.store.sql:SQLStore"))
