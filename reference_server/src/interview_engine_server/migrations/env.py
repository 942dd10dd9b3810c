"""Alembic environment of the server's tables; the caller passes its connection in
``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from interview_engine_server.db import VERSION_TABLE, metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the server's migrations through interview_engine_server.db.run_server_migrations")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
