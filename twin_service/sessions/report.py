"""Session reports: JSON, and a printable HTML page whose charts have text alternatives."""

from __future__ import annotations

import html
import time
from typing import Any

from accessibility.compression_score import FORMULA as CPR_FORMULA
from accessibility.languages import language
from accessibility.practice import PRACTICE_FORMULA
from accessibility.scoring import DECISION_FORMULA
from twin_service.messages import catalogue, grade_words, message, say_phrases
from twin_service.sessions.manager import Session

CHART_W, CHART_H, PAD = 640, 200, 36


def report_json(session: Session) -> dict[str, Any]:
    return {
        **session.summary(),
        "feedback": [
            {
                k: entry.get(k)
                for k in ("id", "severity", "text", "topic", "delivered_at", "phrases")
                if k != "phrases" or "phrases" in entry
            }
            for entry in session.log
        ],
        "scan": session.scan.state_for_frame(),
        "scan_explained": session.scan_explained(),
        "scan_explained_phrases": session.scan_explained_phrases(),
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

    def render(self, series: list[list[float]], title: str, lang: str = "en") -> str:
        self.count += 1
        return _chart(series, title, f"chart-{self.count}", lang)


def _chart(series: list[list[float]], title: str, chart_id: str, lang: str = "en") -> str:
    """An SVG line chart of score over time, described in words and backed by a table.

    ``chart_id`` must be unique in the page: the SVG (``role="img"``) is labelled by the
    title and described by the summary, both in the figure's ``<figcaption>``. The data
    table follows the chart outside any ``<details>``, so it is read and printed with it.
    """
    esc = html.escape

    def m(key: str, **values: object) -> str:
        return esc(message(lang, key, **values))

    if len(series) < 2:
        return f'<p id="{chart_id}">{m("report.chart.few", title=title)}</p>'
    t0, t1 = series[0][0], series[-1][0]
    span = max(t1 - t0, 1e-9)

    def xy(point: list[float]) -> str:
        x = PAD + (point[0] - t0) / span * (CHART_W - 2 * PAD)
        y = CHART_H - PAD - max(0.0, min(100.0, point[1])) / 100 * (CHART_H - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    points = " ".join(xy(p) for p in series)
    first, last = series[0][1], series[-1][1]
    low, high = min(p[1] for p in series), max(p[1] for p in series)
    summary = message(
        lang,
        "report.chart.summary",
        first=f"{first:.0f}",
        last=f"{last:.0f}",
        span=f"{span:.0f}",
        low=f"{low:.0f}",
        high=f"{high:.0f}",
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
        f'<table id="{chart_id}-data" class="chart-data"><caption>'
        f'{m("record.chart.data", title=title)}</caption><thead><tr><th scope="col">'
        f'{m("record.since_start")}</th><th scope="col">{m("report.score")}'
        f"</th></tr></thead><tbody>{rows}</tbody></table></figure>"
    )


# The scoring formulas as their catalogue keys: a stored report whose formula is one of
# today's texts shows it translated; another (an older record's) stays English.
FORMULA_KEYS = {
    CPR_FORMULA: "report.formula.cpr",
    DECISION_FORMULA: "report.formula.decisions",
    PRACTICE_FORMULA: "report.formula.practice",
}


def _value(v: object) -> str:
    if v is None:
        return "—"
    return html.escape(str(round(v, 1) if isinstance(v, float) else v))


def report_html(session: Session) -> str:
    return report_page(report_json(session), session.scenario.title, session.scenario.lang)


def report_page(report: dict[str, Any], title: str, lang: str = "en") -> str:
    """The printable report page of a report (live, finished or recorded), in the
    learner's language (catalogue ``report.*`` keys: headings, the grade, the formula, each
    measure's name; the scan explanation by its phrases). A text the catalogue has not got
    (an older record's formula or explanation, a measure it does not know) stays English,
    marked ``lang="en"``."""
    score = report["score"]
    esc = html.escape

    def m(key: str, **values: object) -> str:
        return esc(message(lang, key, **values))

    def english(text: str) -> str:
        return esc(text) if lang == "en" else f'<span lang="en">{esc(text)}</span>'

    charts = _Charts()

    def known(key: str, fallback: str) -> str:
        return m(key) if key in catalogue(lang) else english(fallback)

    metrics = "".join(
        f"<tr><th scope='row'>{known(f'report.metric.{k}', str(k).replace('_', ' '))}</th>"
        f"<td>{_value(v)}</td></tr>"
        for k, v in score.get("metrics", {}).items()
    )
    decisions = "".join(
        f"<tr><td>{esc(d['step'])}</td><td>{d['attempts']}</td>"
        f"<td>{m('report.yes') if d['first_try'] else m('report.no')}</td></tr>"
        for d in score.get("decisions", [])
    )

    def said(entry: dict[str, Any]) -> str:
        text = say_phrases(lang, entry.get("phrases"))  # a scan-time change: by its phrases
        return esc(text if text is not None else str(entry["text"]))

    feedback = "".join(
        f"<li><span class='sev'>{m('report.sev.' + str(f['severity']))}:</span>"
        f" {said(f)} <small>({_fmt_time(f['delivered_at'])})</small></li>"
        for f in report["feedback"]
    )
    decision_table = (
        f"<h2>{m('report.decisions')}</h2><table><thead><tr><th scope='col'>{m('report.step')}"
        f"</th><th scope='col'>{m('report.attempts')}</th><th scope='col'>"
        f"{m('report.first_time')}</th></tr></thead><tbody>{decisions}</tbody></table>"
        if decisions
        else ""
    )
    who = m(
        "report.who",
        learner=report["learner_id"],
        kit=f"{report['lab']}/{report['kit']}",
        time=_fmt_time(report["created_at"]),
    )
    state = report.get("state", "finished" if report.get("finished") else "running")
    state_words = (
        m("report.finished")
        if state == "finished"
        else m("report.running")
        if state == "running"
        else m("report.interrupted")
        if state == "interrupted"
        else english(state)
    )
    formula = str(score.get("formula") or "")
    formula_text = m(FORMULA_KEYS[formula]) if formula in FORMULA_KEYS else english(formula)
    grade = str(score.get("grade") or "")
    translated = grade_words(grade, lang)
    grade_text = esc(translated) if translated != grade or lang == "en" else english(grade)
    scan_said = say_phrases(lang, report.get("scan_explained_phrases"))
    scan_text = esc(scan_said) if scan_said is not None else english(report["scan_explained"])
    over_time = message(lang, "report.over_time")
    return f"""<!doctype html><html lang="{lang}" dir="{language(lang).direction}"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{m("report.title", scenario=title)}</title>
<link rel="stylesheet" href="/static/report.css">
<link rel="stylesheet" href="/static/common/languages.css"></head>
<body><main><h1>{m("report.heading", scenario=title)}</h1>
<p>{who}
{state_words}</p>
<h2>{m("report.score")}</h2>
<p><strong>{score["score"]:.0f} / 100 — {grade_text}</strong></p>
<p>{m("report.formula")} {formula_text}</p>
<table><caption>{m("report.measures")}</caption><tbody>{metrics}</tbody></table>
{decision_table}
<h2>{esc(over_time)}</h2>{charts.render(score.get("series", []), over_time, lang)}
<h2>{m("report.feedback")}</h2><ol>{feedback or f"<li>{m('report.none')}</li>"}</ol>
<h2>{m("report.scanning")}</h2><p>{scan_text}</p>
</main></body></html>"""
