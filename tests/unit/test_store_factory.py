"""``ACCESSTWIN_STORE``: a store the service cannot open stops start-up with one line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from twin_service.store.factory import check_store_url

TOKEN = "a-test-token-long-enough"


@pytest.mark.parametrize(
    ("url", "reason_part"),
    [
        (
            "sqlite:////nonexistent/dir/x.db",
            "directory '/nonexistent/dir' for 'x.db' does not exist",
        ),
        ("sqlite:///", "must be sqlite:///relative/path"),
        ("postgres://x", "unknown store"),
    ],
)
def test_a_store_url_that_cannot_work_is_refused(url: str, reason_part: str) -> None:
    with pytest.raises(ValueError, match=reason_part):
        check_store_url(url)


def test_sqlite_path_must_be_a_file_in_a_writable_directory(tmp_path: Path) -> None:
    check_store_url(f"sqlite:///{tmp_path / 'twin.db'}")
    check_store_url("memory://")
    with pytest.raises(ValueError, match="is a directory"):
        check_store_url(f"sqlite:///{tmp_path}")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_sqlite_directory_must_be_writable(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ValueError, match="is not writable"):
        check_store_url(f"sqlite:///{locked / 'twin.db'}")


def test_serve_with_a_store_in_a_missing_directory_stops_in_one_line() -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "ACCESSTWIN_API_TOKEN": TOKEN,
        "ACCESSTWIN_STORE": "sqlite:////nonexistent/dir/x.db",
        "ACCESSTWIN_HTTP_PORT": "1",
    }
    result = run_cli(["serve"], env)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert lines == [
        "accesstwin: ACCESSTWIN_STORE: directory '/nonexistent/dir' for 'x.db' does not exist"
    ]


def test_the_kit_agent_is_not_stopped_by_a_store_setting_it_does_not_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import devices.agent.main
    from twin_service.cli import main

    started: list[object] = []
    monkeypatch.setattr(
        devices.agent.main, "run_kit", lambda settings: started.append(settings.ref) or 0
    )
    monkeypatch.setenv("ACCESSTWIN_STORE", "sqlite:////nonexistent/dir/x.db")
    assert main(["kit", "--lab", "a", "--kit", "k1"]) == 0
    assert [str(kit) for kit in started] == ["a/k1"]
