"""The twin service: twin state, history store, REST API, pages and websockets.

Exception tree::

    TwinServiceError
    ├── SettingsError     a setting is missing or malformed (start-up stops, one line)
    └── StoreError        the time-series store failed (the batch is kept and retried)
"""
