"""Memory: investigation history, feedback that becomes test cases, replay and calibration.

`store.HistoryStore` is the interface (SQLAlchemy async on SQLite or PostgreSQL, Alembic
migrations in `migrations/`); `capture` turns a run into a redacted, size-capped record;
`recorder` records a CLI run beside the investigation; `replay`, `calibration` and `cases`
are the pure parts of `alpha replay`, `alpha calibration` and `alpha export-cases`;
`commands` is the command line.
"""
