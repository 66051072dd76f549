"""Checks of the printable session report (twin_service/sessions/report.py) shared by the tests."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from twin_service.sessions.report import table_indices

VOID = {"meta", "link", "br", "img", "input", "hr", "line", "polyline", "path", "rect"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def ancestors(self) -> list[str]:
        out, node = [], self.parent
        while node is not None:
            out.append(node.tag)
            node = node.parent
        return out

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)

    def find_all(self, tag: str) -> list[Element]:
        found = [c for c in self.children if c.tag == tag]
        for c in self.children:
            found += c.find_all(tag)
        return found


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.root = Element("#document", {}, None)
        self.node = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.node)
        self.node.children.append(element)
        if tag not in VOID:
            self.node = element

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.node.children.append(Element(tag, {k: v or "" for k, v in attrs}, self.node))

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.node
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.node = node.parent

    def handle_data(self, data: str) -> None:
        # Text goes to the open element (its own, not a child's, for headers and cells).
        self.node.text += data


def parse(page: str) -> Element:
    tree = _Tree()
    tree.feed(page)
    return tree.root


def check_report_charts(page: str, report: dict[str, Any]) -> list[Element]:
    """Assert the chart accessibility and print rules; returns the chart figures.

    Every id is unique; each chart SVG has ``role="img"`` and is labelled and described by
    elements inside its own ``<figcaption>``; its data table is not inside ``<details>``
    (which would hide it on paper) and lists exactly the JSON series' points chosen by
    ``table_indices`` (seconds since the first point, score to one decimal).
    """
    root = parse(page)
    everything = [root]
    for element in everything:
        everything.extend(element.children)
    ids = Counter(e.attrs["id"] for e in everything if "id" in e.attrs)
    assert all(n == 1 for n in ids.values()), ids
    by_id = {e.attrs["id"]: e for e in everything if "id" in e.attrs}
    assert not root.find_all("details"), "a closed <details> does not print"
    series = report["score"]["series"]
    figures = root.find_all("figure")
    assert len(figures) == (1 if len(series) >= 2 else 0)
    for figure in figures:
        [svg] = figure.find_all("svg")
        [caption] = figure.find_all("figcaption")
        assert svg.attrs.get("role") == "img"
        label, desc = by_id[svg.attrs["aria-labelledby"]], by_id[svg.attrs["aria-describedby"]]
        for ref in (label, desc):
            assert "figcaption" in ref.ancestors() and ref in _descendants(caption)
        assert label.all_text().strip() == "Score over time"
        first, last = series[0][1], series[-1][1]
        assert f"From {first:.0f} to {last:.0f} out of 100" in desc.all_text()
        [table] = figure.find_all("table")
        assert "details" not in table.ancestors()
        assert table.find_all("caption")[0].all_text().startswith("Score over time")
        rows = [
            (r.find_all("th")[0].all_text(), r.find_all("td")[0].all_text())
            for r in table.find_all("tbody")[0].find_all("tr")
        ]
        t0 = series[0][0]
        expected = [
            (f"{series[i][0] - t0:.0f} s", f"{series[i][1]:.1f}")
            for i in table_indices(len(series))
        ]
        assert rows == expected
        assert rows[-1][1] == f"{series[-1][1]:.1f}"  # the final score is always listed
    return figures


def _descendants(element: Element) -> list[Element]:
    out = list(element.children)
    for child in element.children:
        out += _descendants(child)
    return out
