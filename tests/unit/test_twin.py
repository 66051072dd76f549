from __future__ import annotations

import time

from gateway.identifiers import KitRef
from gateway.telemetry import Reading, Telemetry, Waveform
from twin_service.twins.twin import Twin, ValueEntry

NOW = time.time()
KIT = KitRef("lab", "kit")


def message(ts: float, seq: int, hr: float) -> Telemetry:
    return Telemetry(ts, seq, (Reading("hr", hr, "bpm"),), ())


def test_latest_is_the_newest_device_time_not_the_last_received() -> None:
    twin = Twin(KIT)
    assert twin.apply_telemetry(message(NOW - 1, 2, 80), NOW) is not None
    # A replayed, older reading arrives later: history keeps it, "latest" does not change.
    assert twin.apply_telemetry(message(NOW - 10, 1, 60), NOW + 1) is None
    assert twin.reported["hr"].value == 80
    assert twin.reported["hr"].ts == NOW - 1 and twin.reported["hr"].received_at == NOW
    assert twin.version == 1


def test_every_change_bumps_the_version_and_reports_only_what_changed() -> None:
    twin = Twin(KIT)
    first = twin.apply_telemetry(message(NOW, 1, 70), NOW)
    wave = Telemetry(NOW + 1, 2, (), (Waveform("ppg", 50, [1.0, 2.0, 3.0], ""),))
    second = twin.apply_telemetry(wave, NOW + 1)
    assert first is not None and second is not None
    assert (first.version, second.version) == (1, 2)
    frame = second.to_frame()
    assert frame["type"] == "twin.delta" and list(frame["reported"]) == ["ppg"]
    assert frame["reported"]["ppg"]["value"] == 3.0
    assert frame["reported"]["ppg"]["ts"] == NOW + 1 + 2 / 50


def test_status_desired_and_delta() -> None:
    twin = Twin(KIT)
    assert twin.apply_status(True, NOW) is not None
    assert twin.apply_status(True, NOW) is None
    twin.apply_telemetry(message(NOW, 1, 70), NOW)
    change = twin.set_desired({"hr": 70, "buzzer": True}, NOW)
    assert change.desired == {"hr": 70, "buzzer": True}
    assert twin.delta() == {"buzzer": True}
    assert twin.desired_version == 1


def test_values_go_stale_after_the_timeout() -> None:
    twin = Twin(KIT)
    twin.apply_telemetry(message(NOW, 1, 70), NOW)
    assert twin.to_json(NOW + 5, stale_after_s=10)["reported"]["hr"]["stale"] is False
    assert twin.to_json(NOW + 11, stale_after_s=10)["reported"]["hr"]["stale"] is True


def test_derived_values_keep_their_own_section() -> None:
    twin = Twin(KIT)
    change = twin.apply_derived({"hr_ppg": ValueEntry(71.8, "bpm", NOW, NOW)}, NOW)
    assert change is not None and change.to_frame()["derived"]["hr_ppg"]["value"] == 71.8
    assert twin.to_json(NOW, 10)["derived"]["hr_ppg"]["unit"] == "bpm"
