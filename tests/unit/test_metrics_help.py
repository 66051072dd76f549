"""The help text of ``accesstwin_messages_rejected`` names every stage the code counts."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.ingest import DUPLICATE
from twin_service.ingest.pipeline import INTERNAL
from twin_service.ops.metrics import ServiceMetrics

ROOT = Path(__file__).resolve().parents[2]
STAGE_LITERALS = (
    re.compile(r"Refused\([^,()]+,[^,()]+,\s*\"(\w+)\""),
    re.compile(r"messages_rejected\.labels\(\"(\w+)\"\)"),
)


def stages_in_code() -> set[str]:
    found = {DUPLICATE, INTERNAL}
    for package in ("gateway", "twin_service"):
        for source in (ROOT / package).rglob("*.py"):
            text = source.read_text("utf-8")
            for pattern in STAGE_LITERALS:
                found.update(pattern.findall(text))
    return found


def test_the_rejection_help_text_lists_every_stage_in_use() -> None:
    stages = stages_in_code()
    assert {"topic", "payload", "limit", "ws_frame", "twin_state"} <= stages
    metric = next(iter(ServiceMetrics().messages_rejected.describe()))
    listed = set(re.findall(r"\w+", metric.documentation))
    assert stages <= listed, f"not in the help text: {sorted(stages - listed)}"
