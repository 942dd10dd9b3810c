"""Alembic environment. The store passes its own connection in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from interview_engine.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `interview-engine db upgrade` or SQLStore.migrate()")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
