"""``accesstwin demo``: the embedded MQTT broker used when none answers (``broker``), the
simulated learner (``learner``) and the whole demo's start and clean stop (``run``)."""
