"""Bounds on device timestamps that the kit and the service share.

Pure constants, apart from the payload validation (``gateway.telemetry``) so that the kit
knows them without importing it (and pydantic).
"""

# Device clocks before 2020 are unset RTCs (a Pi without network boots at 1970): the
# service refuses such timestamps and the kit reads nothing until its clock is past it.
EARLIEST_TS = 1_577_836_800.0
# How far ahead of the service clock a device clock may run before we distrust it.
MAX_FUTURE_SKEW_S = 300.0
# A switch event whose device ts is further behind "now" than this is not a live press (a
# kit replaying its spool after a broker outage, or a long-delayed QoS 1 redelivery): the
# kit does not send it and the service does not apply it. Live presses arrive within
# ~0.1 s; 2 s leaves room for clock skew.
SWITCH_EVENT_MAX_AGE_S = 2.0
