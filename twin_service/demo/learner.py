"""A simulated learner for the demo: answers prompts with one switch, in auto scan.

It waits until the scan highlight reaches the choice it wants (the correct one, or a
wrong one now and then), then presses ``select`` after a human-like reaction time drawn
from ``devices.simulation.SwitchUser``. Presses go through the same scanning machine
as a real switch, so a late press picks whatever is highlighted by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

from devices.simulation import SwitchUser
from twin_service.sessions.manager import Session, SessionManager


async def run_simulated_learner(
    sessions: SessionManager, session: Session, stop: asyncio.Event, seed: int = 7
) -> None:
    user = SwitchUser(seed=seed, mean_reaction_ms=700, sd_ms=200)
    rng = random.Random(seed)
    target: str | None = None
    while not stop.is_set() and not session.policy.finished:
        prompt = session.policy.current_prompt()
        choices = session.scan.choices
        if prompt is None or not choices:
            target = None
        else:
            if target not in {c.id for c in choices}:
                step = session.scenario.step(session.policy.step_id or "")
                known = prompt.target  # switch practice names its target
                correct = [known] if known else [c.id for c in step.choices if c.correct]
                wrong = [c.id for c in choices if c.id not in correct]
                target = rng.choice(wrong) if wrong and rng.random() < 0.2 else correct[0]
            index = next((i for i, c in enumerate(choices) if c.id == target), None)
            # the choice is highlighted, or its group is (group scanning)
            if index is not None and session.scan.leads_to(index):
                await asyncio.sleep(user.reaction_time_s())
                now = time.time()
                sessions.on_switch(session, "select", "down", now)
                await asyncio.sleep(user.hold_time_s())
                sessions.on_switch(session, "select", "up", time.time())
                if session.scan.choices != choices or session.scan.level != "items":
                    target = None
                    await asyncio.sleep(1.5)  # read the feedback before the next prompt
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)
