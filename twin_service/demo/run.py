"""``accesstwin demo``: broker (embedded if none answers), service and simulated kits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace

from devices.simulated_kit import PROFILES, run_simulated_kit
from gateway.identifiers import KitRef
from twin_service.app import create_app
from twin_service.demo.broker import EmbeddedBroker, broker_answers
from twin_service.demo.learner import run_simulated_learner
from twin_service.ops.server import install_stop_signals, make_server
from twin_service.settings import Settings
from twin_service.speech.espeak import EspeakSpeech, SpeechError

log = logging.getLogger(__name__)

DEMO_LAB = "demo"


async def _speech_line(speech: EspeakSpeech) -> str:
    """One start-up line: which espeak-ng speaks, or that speech cannot start and why."""
    try:
        return f"Speech: {await speech.probe()}"
    except SpeechError as exc:
        reason = " ".join(str(exc).split())  # one line, whatever the engines reported
        return (
            f"Speech unavailable, the learner page stays silent ({reason});"
            " set ACCESSTWIN_SPEECH_ENGINE=bundled or install espeak-ng"
        )


async def run_demo(settings: Settings, kits: int = 3) -> None:
    embedded: EmbeddedBroker | None = None
    if await broker_answers(settings.broker):
        print(f"Using the MQTT broker at {settings.broker}", flush=True)
    else:
        embedded = EmbeddedBroker(
            settings.broker.host
            if settings.broker.host in ("127.0.0.1", "localhost")
            else "127.0.0.1",
            settings.broker.port,
        )
        await embedded.start()
        settings = replace(settings, mqtt_url=f"mqtt://{embedded.host}:{embedded.port}")
        print(
            f"No broker answered; started an embedded MQTT broker at {settings.broker}", flush=True
        )

    app = create_app(settings)
    speech_probe = asyncio.create_task(_speech_line(app.state.runtime.speech))
    server = make_server(
        app,
        settings.http_host,
        settings.http_port,
        log_level="warning",
        ws_deflate=settings.ws_deflate,
    )
    stop = asyncio.Event()

    def request_stop() -> None:
        server.should_exit = True
        stop.set()

    install_stop_signals(request_stop)
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():  # noqa: ASYNC110 - uvicorn has no event
        await asyncio.sleep(0.05)
    if serving.done():
        await serving
        raise SystemExit(
            f"the web server could not start on {settings.http_host}:{settings.http_port}"
        )

    kit_tasks = [
        asyncio.create_task(
            run_simulated_kit(
                settings.broker,
                settings.topics,
                KitRef(DEMO_LAB, f"kit-{i + 1}"),
                PROFILES[i % len(PROFILES)],
                stop,
                seed=i + 1,
                client_id=f"accesstwin-demo-kit-{i + 1}",
            )
        )
        for i in range(kits)
    ]
    runtime = app.state.runtime
    # A session for you to try (vital signs on kit-1) and one for a simulated learner (CPR).
    yours, learner_token = runtime.sessions.create("you", KitRef(DEMO_LAB, "kit-1"), "vitals")
    runtime.set_desired(yours.kit, dict(yours.scenario.desired))
    simulated, _ = runtime.sessions.create("sim-learner", KitRef(DEMO_LAB, "kit-2"), "cpr")
    runtime.set_desired(simulated.kit, dict(simulated.scenario.desired))
    learner_task = asyncio.create_task(run_simulated_learner(runtime.sessions, simulated, stop))
    print(await speech_probe, flush=True)
    base = f"http://{settings.http_host}:{settings.http_port}"
    token = settings.api_token or ""
    print(
        "\naccesstwin demo is running.\n"
        f"  Instructor dashboard: {base}/labs/{DEMO_LAB}?token={token}\n"
        f"  Learner page (you, one switch = Space): {base}/learn/{yours.id}?token={learner_token}\n"
        f"  REST API (token):      curl -H 'Authorization: Bearer {token}' {base}/api/v1/twins\n"
        f"  API documentation:     {base}/docs\n"
        f"  MQTT broker:           {settings.broker}  (topics under {settings.mqtt_prefix}/)\n"
        "Press Ctrl-C to stop.\n",
        flush=True,
    )
    await stop.wait()
    learner_task.cancel()
    for task in kit_tasks:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)
    await serving
    if embedded is not None:
        await embedded.stop()
    print("accesstwin demo stopped.", flush=True)
