"""Learning records: profiles, sessions, their event timeline, reports and the xAPI outbox.

Owns everything that must outlive the process about learners (docs/records.md). The
database is behind ``RecordsStore`` (``base.py``); ``SqlRecords`` (``sql.py``) is the one
adapter, on SQLAlchemy Core with Alembic migrations (``migrations/``, run at start-up), for
SQLite and PostgreSQL (psycopg 3). ``RecordsWriter`` (``writer.py``) batches what happens
into commits at most ``BATCH_WINDOW_S`` apart and keeps it while the database is away;
``SessionRecorder`` (``recorder.py``) turns session happenings into events; ``xapi.py``
builds statements and ``outbox.py`` delivers them.

Exceptions::

    TwinServiceError
    └── RecordsError              a records operation failed
        └── RecordsUnavailableError   the records database cannot be reached or written
"""
