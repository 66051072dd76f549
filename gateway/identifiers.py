"""Identifiers of labs, kits and learners: defined in ``accesstwin_contract.identifiers``."""

from __future__ import annotations

from accesstwin_contract.identifiers import (
    IDENTIFIER_PATTERN,
    RESERVED_LAB_PREFIX,
    RESERVED_LAB_REASON,
    InvalidIdentifierError,
    KitRef,
    check_identifier,
    is_identifier,
    is_reserved_lab,
)

__all__ = [
    "IDENTIFIER_PATTERN",
    "RESERVED_LAB_PREFIX",
    "RESERVED_LAB_REASON",
    "InvalidIdentifierError",
    "KitRef",
    "check_identifier",
    "is_identifier",
    "is_reserved_lab",
]
