"""Identifiers that name labs, kits and learners on the wire.

``lab``, ``kit`` and ``learner_id`` match ``[A-Za-z0-9_-]{1,64}``; anything else is
rejected and never used to build a path, topic or query (docs/vocabulary.md).

Underscores are allowed anywhere, but a *lab* name that starts with one is reserved for
the service's own topics, which sit at the lab position of ``{prefix}/{lab}/...``:
``_rejected`` (refusals), ``_unknown`` (in those, for what could not be parsed) and
``_twin`` (twin state for API replicas). Kits in such labs are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

IDENTIFIER_PATTERN = r"[A-Za-z0-9_-]{1,64}"
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
RESERVED_LAB_PREFIX = "_"


class InvalidIdentifierError(ValueError):
    """A lab, kit or learner identifier does not match the contract's pattern."""


def is_identifier(text: str) -> bool:
    """True when ``text`` is a valid lab, kit or learner identifier."""
    return _IDENTIFIER.fullmatch(text) is not None


RESERVED_LAB_REASON = f"lab names starting with {RESERVED_LAB_PREFIX!r} are reserved"


def is_reserved_lab(lab: str) -> bool:
    """True for lab names kept for the service's own topics (a leading ``_``)."""
    return lab.startswith(RESERVED_LAB_PREFIX)


def check_identifier(text: str, what: str) -> str:
    """Return ``text`` unchanged, or raise naming ``what`` and the rule it broke."""
    if not is_identifier(text):
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise InvalidIdentifierError(f"{what} {shown!r} must match {IDENTIFIER_PATTERN}")
    return text


@dataclass(frozen=True, slots=True, order=True)
class KitRef:
    """One kit of one lab: the key of a twin."""

    lab: str
    kit: str
    # Kept, not computed again: a message's path looks its kit up in some nine dicts
    # (twins, limiter, duplicates, engines, sessions...). Never pickled (str hashes
    # differ between processes): see __reduce__.
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_identifier(self.lab, "lab")
        check_identifier(self.kit, "kit")
        object.__setattr__(self, "_hash", hash((self.lab, self.kit)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[type[KitRef], tuple[str, str]]:
        return (KitRef, (self.lab, self.kit))

    def __str__(self) -> str:
        return f"{self.lab}/{self.kit}"

    @property
    def client_id(self) -> str:
        """The kit's MQTT client id. Lab and kit are joined by "/", which identifiers
        cannot hold, so two kits never share one (``-`` would: lab ``a-b`` kit ``c`` and
        lab ``a`` kit ``b-c``). It is also the kit's broker username, which the shipped
        broker config makes the client id anyway (``use_username_as_clientid``)."""
        return f"{self.lab}/{self.kit}"

    @property
    def file_stem(self) -> str:
        """A file name part naming the kit alone ("." cannot be in an identifier)."""
        return f"{self.lab}.{self.kit}"
