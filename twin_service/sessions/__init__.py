"""Learning sessions: learner profiles (``learners``), the running sessions that turn twin
state into feedback through ``accessibility`` and take switch input (``manager``), and the
session report, as JSON and as a printable page (``report``)."""
