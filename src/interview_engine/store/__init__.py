"""Where interviews live: the Store protocol and the SQL store (SQLite by default, Postgres too)."""

from .base import JobRecord, Store

__all__ = ["JobRecord", "Store"]
