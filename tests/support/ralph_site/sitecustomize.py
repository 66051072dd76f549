"""Loaded by the test LRS's Python only (tests/support/lrs.py puts this folder on its
PYTHONPATH): ralph 5.1's file backend must append each POST's statements, not refuse
every POST after the first (its default operation type, "create", fails on an existing
file). Runs in ralph's reloader and server processes alike."""

from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend

FSDataBackend.default_operation_type = BaseOperationType.APPEND
