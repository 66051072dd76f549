"""Pure, seedable simulators of lab-kit data for the demo, tests and benchmarks.

Nothing here does I/O, reads the wall clock or sleeps: callers give the times.
"""

from .cpr import Compression, CprLearner
from .kit import KitProfile, SimulatedKit
from .ppg import PpgSynth
from .switch_user import Switch, SwitchUser
from .vitals import Scenario, VitalsModel

__all__ = [
    "Compression",
    "CprLearner",
    "KitProfile",
    "PpgSynth",
    "Scenario",
    "SimulatedKit",
    "Switch",
    "SwitchUser",
    "VitalsModel",
]
