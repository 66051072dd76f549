"""Code cites the project's own documents (docs/interface.md, docs/domain.md), never the
team's private notes, and every cited section exists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r'docs/(interface|domain)\.md,? "([^"]+)"')
SOURCES = (".py", ".js", ".css", ".html", ".yaml", ".toml")


def tracked_sources() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in names if name.endswith(SOURCES) and (ROOT / name).is_file()]


def headings(doc: str) -> set[str]:
    text = (ROOT / "docs" / f"{doc}.md").read_text(encoding="utf-8")
    return {line.lstrip("#").strip().lower() for line in text.splitlines() if line.startswith("#")}


def test_no_source_cites_the_private_contract_or_domain_notes() -> None:
    private = re.compile(r"(?<![\w/])(CONTRACT|DOMAIN)\.md|\.\./shared")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in tracked_sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line) and path.name != "test_doc_citations.py"
    ]
    assert offenders == []


def test_every_cited_section_exists() -> None:
    sections = {doc: headings(doc) for doc in ("interface", "domain")}
    cited = [
        (path.relative_to(ROOT), doc, section)
        for path in tracked_sources()
        for doc, section in CITATION.findall(path.read_text(encoding="utf-8"))
    ]
    assert len(cited) >= 10
    missing = [c for c in cited if c[2].lower() not in sections[c[1]]]
    assert missing == []
