"""Exceptions of the records package (tree in ``twin_service/records/__init__``)."""

from twin_service.errors import TwinServiceError


class RecordsError(TwinServiceError):
    """A records operation failed."""


class RecordsUnavailableError(RecordsError):
    """The records database cannot be reached or written (the message says why)."""
