"""A session manager on a test clock, for the unit tests that drive sessions in-process."""

from __future__ import annotations

from accessibility.model import LearnerProfile
from accessibility.scenario import load_scenario
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.sessions.manager import SessionManager


class Clock:
    """The service clock the manager reads; a test moves ``now``."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def manager_on(clock: Clock, scenario_id: str) -> SessionManager:
    """A manager of one shipped scenario, default profiles, on ``clock``."""
    return SessionManager(
        {scenario_id: load_scenario(scenario_id)},
        Hub(ServiceMetrics()),
        lambda _: LearnerProfile(),
        clock=clock,
    )
