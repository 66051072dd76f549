"""Alembic migrations of the records database, run at start-up (``migrate.py``)."""
