"""The server's own tables live beside the SDK's, in the same database, under their own Alembic history
(version table ``server_alembic_version``), so the SDK and the server migrate independently."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "server_alembic_version"

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
"""Every server table is defined on this MetaData; the migrations create them."""


def run_server_migrations(sync_connection: Connection, revision: str = "head") -> None:
    """Upgrade the server's schema on an open connection to ``revision`` with Alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = sync_connection
    command.upgrade(config, revision)
