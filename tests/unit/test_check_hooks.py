"""`.pre-commit-config.yaml` runs the same checks as `scripts/check`, command for command."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_pre_commit_runs_every_command_of_scripts_check() -> None:
    check = [
        line.strip()
        for line in (ROOT / "scripts" / "check").read_text().splitlines()
        if line.startswith(".venv/bin/")
    ]
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    entries = {hook["entry"] for hook in hooks}
    assert len(check) >= 4  # ruff check, ruff format, mypy, lint-imports
    # pre-commit passes the changed files to ruff; the directory argument "." is its own
    assert {command.removesuffix(" .") for command in check} == entries
