"""Exceptions of the twin service (tree in ``twin_service/__init__``)."""


class TwinServiceError(Exception):
    """Base class of every error the twin service raises."""


class SettingsError(TwinServiceError):
    """A setting is missing or malformed; the message names the variable."""


class StoreError(TwinServiceError):
    """The time-series store could not read or write."""
