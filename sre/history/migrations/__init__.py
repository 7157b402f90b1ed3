"""Alembic migrations of the history store (run by `sre.history.migrate`)."""
