"""How old a switch event may be and still count as a live press (kit and service share it).

A switch event whose device ts is further behind "now" than ``SWITCH_EVENT_MAX_AGE_S`` is
not a live press (a kit replaying its spool after a broker outage, or a long-delayed QoS 1
redelivery): the kit does not send it and the service does not apply it. Live presses
arrive within ~0.1 s; 2 s leaves room for clock skew.
Kept apart from ``gateway.telemetry`` so that the kit need not import the validation
(and pydantic) to know it.
"""

SWITCH_EVENT_MAX_AGE_S = 2.0
