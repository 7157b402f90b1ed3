"""Alembic environment: runs on the connection `sre.history.migrate` hands over.

There is no `alembic.ini`: `sre.history.migrate.alembic_config` builds the configuration
and puts an open connection (inside its transaction and lock) in `config.attributes`.
"""

from __future__ import annotations

from alembic import context

from sre.history.tables import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through sre.history.migrate (it provides the connection), "
        "not through the alembic command"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
