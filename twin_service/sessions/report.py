"""Session reports: JSON, and a printable HTML page whose charts have text alternatives."""

from __future__ import annotations

import html
import time
from typing import Any

from twin_service.sessions.manager import Session

CHART_W, CHART_H, PAD = 640, 200, 36


def report_json(session: Session) -> dict[str, Any]:
    return {
        **session.summary(),
        "feedback": [
            {k: entry.get(k) for k in ("id", "severity", "text", "topic", "delivered_at")}
            for entry in session.log
        ],
        "scan": session.scan.state_for_frame(),
        "scan_explained": session.scan_explained(),
    }


def _fmt_time(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts)) + " UTC"


MAX_TABLE_ROWS = 21  # the chart's data table: first, last and evenly spaced points between


def table_indices(n: int, max_rows: int = MAX_TABLE_ROWS) -> list[int]:
    """Indices of the series points listed in a chart's data table: all of them when
    there are at most ``max_rows``, else ``max_rows`` evenly spaced ones, first and last
    (the final score) always included."""
    if n <= max_rows:
        return list(range(n))
    return sorted({round(i * (n - 1) / (max_rows - 1)) for i in range(max_rows)})


class _Charts:
    """Renders a page's charts, giving each its own ids (``chart-1``, ``chart-2``, …)."""

    def __init__(self) -> None:
        self.count = 0

    def render(self, series: list[list[float]], title: str) -> str:
        self.count += 1
        return _chart(series, title, f"chart-{self.count}")


def _chart(series: list[list[float]], title: str, chart_id: str) -> str:
    """An SVG line chart of score over time, described in words and backed by a table.

    ``chart_id`` must be unique in the page: the SVG (``role="img"``) is labelled by the
    title and described by the summary, both in the figure's ``<figcaption>``. The data
    table follows the chart outside any ``<details>``, so it is read and printed with it.
    """
    esc = html.escape
    if len(series) < 2:
        return f'<p id="{chart_id}">{esc(title)}: not enough data for a chart yet.</p>'
    t0, t1 = series[0][0], series[-1][0]
    span = max(t1 - t0, 1e-9)

    def xy(point: list[float]) -> str:
        x = PAD + (point[0] - t0) / span * (CHART_W - 2 * PAD)
        y = CHART_H - PAD - max(0.0, min(100.0, point[1])) / 100 * (CHART_H - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    points = " ".join(xy(p) for p in series)
    first, last = series[0][1], series[-1][1]
    low, high = min(p[1] for p in series), max(p[1] for p in series)
    summary = (
        f"From {first:.0f} to {last:.0f} out of 100 over {span:.0f} seconds; "
        f"lowest {low:.0f}, highest {high:.0f}. The table below lists the values."
    )
    rows = "".join(
        f'<tr><th scope="row">{series[i][0] - t0:.0f} s</th><td>{series[i][1]:.1f}</td></tr>'
        for i in table_indices(len(series))
    )
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    return (
        f'<figure id="{chart_id}" class="chart">'
        f'<svg role="img" aria-labelledby="{title_id}" aria-describedby="{desc_id}"'
        f' viewBox="0 0 {CHART_W} {CHART_H}" width="{CHART_W}" height="{CHART_H}">'
        f'<line x1="{PAD}" y1="{CHART_H - PAD}" x2="{CHART_W - PAD}" y2="{CHART_H - PAD}"'
        ' class="axis"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{CHART_H - PAD}" class="axis"/>'
        f'<text x="4" y="{PAD + 4}" aria-hidden="true">100</text>'
        f'<text x="12" y="{CHART_H - PAD + 4}" aria-hidden="true">0</text>'
        f'<polyline points="{points}" class="line"/></svg>'
        f'<figcaption><strong id="{title_id}">{esc(title)}</strong>. '
        f'<span id="{desc_id}">{esc(summary)}</span></figcaption>'
        f'<table id="{chart_id}-data" class="chart-data"><caption>{esc(title)}: data'
        '</caption><thead><tr><th scope="col">Time since start</th><th scope="col">Score'
        f"</th></tr></thead><tbody>{rows}</tbody></table></figure>"
    )


_STATE_WORDS = {
    "finished": "Finished.",
    "running": "Still running.",
    "interrupted": "Interrupted: the service stopped while it ran; an instructor can resume it.",
}


def _value(v: object) -> str:
    if v is None:
        return "—"
    return html.escape(str(round(v, 1) if isinstance(v, float) else v))


def report_html(session: Session) -> str:
    return report_page(report_json(session), session.scenario.title)


def report_page(report: dict[str, Any], title: str) -> str:
    """The printable report page of a report (live, finished or recorded)."""
    score = report["score"]
    esc = html.escape
    charts = _Charts()
    metrics = "".join(
        f"<tr><th scope='row'>{esc(str(k).replace('_', ' '))}</th><td>{_value(v)}</td></tr>"
        for k, v in score.get("metrics", {}).items()
    )
    decisions = "".join(
        f"<tr><td>{esc(d['step'])}</td><td>{d['attempts']}</td>"
        f"<td>{'yes' if d['first_try'] else 'no'}</td></tr>"
        for d in score.get("decisions", [])
    )
    feedback = "".join(
        f"<li><span class='sev'>{esc(str(f['severity']).capitalize())}:</span>"
        f" {esc(str(f['text']))} <small>({_fmt_time(f['delivered_at'])})</small></li>"
        for f in report["feedback"]
    )
    decision_table = (
        "<h2>Decisions</h2><table><thead><tr><th scope='col'>Step</th><th scope='col'>Attempts"
        f"</th><th scope='col'>Right first time</th></tr></thead><tbody>{decisions}</tbody></table>"
        if decisions
        else ""
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Session report — {esc(title)}</title>
<link rel="stylesheet" href="/static/report.css"></head>
<body><main><h1>Session report: {esc(title)}</h1>
<p>Learner {esc(report["learner_id"])}, kit {esc(report["lab"])}/{esc(report["kit"])},
started {_fmt_time(report["created_at"])}. {_STATE_WORDS.get(report.get("state", ""), "")}</p>
<h2>Score</h2><p><strong>{score["score"]:.0f} / 100 — {esc(score["grade"])}</strong></p>
<p>How it is computed: {esc(score["formula"])}</p>
<table><caption>Measures</caption><tbody>{metrics}</tbody></table>
{decision_table}
<h2>Score over time</h2>{charts.render(score.get("series", []), "Score over time")}
<h2>Feedback given</h2><ol>{feedback or "<li>None.</li>"}</ol>
<h2>Switch scanning</h2><p>{esc(report["scan_explained"])}</p>
</main></body></html>"""
