"""Results: the table on stdout, progress on stderr, the JSON file and the latency plot."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_OUT_DIR = Path("bench-results")


@dataclass
class BenchResult:
    """What one benchmark measured: a table for people, ``data`` for the JSON file."""

    name: str
    headers: list[str]
    rows: list[list[str]]
    data: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    ok: bool = True  # False when a correctness check failed (not when a target is missed)
    extra_tables: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)


class Progress:
    """Plain-text progress lines on stderr with the elapsed time."""

    def __init__(self, name: str, quiet: bool = False) -> None:
        self.name = name
        self.quiet = quiet
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            print(f"[bench {self.name} {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def fmt(value: float, digits: int = 1) -> str:
    """A number for the table: thousands separators, NaN shown as a dash."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "-"
    return f"{value:,.{digits}f}"


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def render(result: BenchResult) -> str:
    parts = [f"## bench {result.name}", "", format_table(result.headers, result.rows)]
    for title, headers, rows in result.extra_tables:
        parts += ["", title, "", format_table(headers, rows)]
    if result.notes:
        parts += ["", *(f"- {note}" for note in result.notes)]
    return "\n".join(parts)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(argv: list[str]) -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "load_average_1_5_15": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command_line": " ".join(argv),
    }


def results_path(name: str, json_path: str | None, out_dir: Path = DEFAULT_OUT_DIR) -> Path:
    if json_path:
        return Path(json_path)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return out_dir / f"{name}-{stamp}.json"


def write_json(path: Path, result: BenchResult, args: dict[str, Any], argv: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": result.name,
        "machine": machine_info(argv),
        "arguments": args,
        "ok": result.ok,
        "table": {"headers": result.headers, "rows": result.rows},
        "notes": result.notes,
        "results": result.data,
    }
    path.write_text(json.dumps(document, indent=2, default=_jsonable, allow_nan=False))
    return path


def _jsonable(value: object) -> object:
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def clean_nan(value: Any) -> Any:
    """Replace NaN/inf by None recursively (JSON has no NaN)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: clean_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_nan(v) for v in value]
    return value


def plot_latency(path: Path, series: dict[str, list[float]], title: str) -> str:
    """Write a PNG of latency distributions (ms); a message saying why when it cannot."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install matplotlib)"
    filled = {label: values for label, values in series.items() if values}
    if not filled:
        return "plot skipped: no latency samples"
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, values in filled.items():
        ordered = sorted(values)
        n = len(ordered)
        left.plot(ordered, [(i + 1) / n for i in range(n)], label=label)
    left.set_xscale("log")
    left.set_xlabel("publish → frame latency (ms, log)")
    left.set_ylabel("fraction of frames")
    left.grid(True, which="both", alpha=0.3)
    left.legend()
    labels = list(filled)
    right.boxplot([filled[k] for k in labels], whis=(1, 99), showfliers=False)
    right.set_xticks(range(1, len(labels) + 1), labels)
    right.set_yscale("log")
    right.set_ylabel("latency (ms, whiskers p1–p99)")
    right.grid(True, which="both", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"latency plot written to {path}"
