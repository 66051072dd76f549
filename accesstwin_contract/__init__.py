"""The shared vocabulary of accesstwin: what gateway, twin_service, accessibility and
devices all name the same way.

Pure and standard-library only (no I/O), so every part may import it:

- ``identifiers``: the ``[A-Za-z0-9_-]{1,64}`` rule for labs, kits and learners, reserved
  ``_`` labs, ``KitRef``;
- ``quantities``: the one table of reported sensors and derived values (unit, physical
  range, waveform rate, dashboard label) - where a sensor is added;
- ``topics``: the MQTT topic scheme, built and parsed in one place;
- ``payloads``: the MQTT payloads (telemetry, input, status, desired, rejection);
- ``time_bounds``: the device-timestamp bounds (before 2020, clock skew, switch-event age);
- ``frames``: the websocket frames (snapshot, twin.delta, status, feedback, batch);
- ``groups``: the hub's group names.

docs/vocabulary.md is the short guide.
"""
