"""Derived signals: pure numpy algorithms over recent waveform samples.

* :class:`WaveformWindow` - bounded ring buffer of one waveform's recent samples.
* :class:`CompressionDetector` - each compression at its release (:class:`Release`: depth,
  interval, rate) and completed (:class:`Compression`: and its recoil) from depth chunks as
  they arrive.
* :func:`heart_rate_from_ppg` - heart rate (``hr_ppg``) from a raw PPG window.
* :func:`cpr_metrics` - CPR rate, depth, recoil and compression fraction
  (``cpr_rate``, ``cpr_depth_mm``, ``cpr_recoil_pct``, ``cpr_ccf``).
"""

from accessibility.signals.compression_events import Compression, Release
from accessibility.signals.compressions import CompressionDetector
from accessibility.signals.cpr import CprMetrics, cpr_metrics
from accessibility.signals.ppg import PpgEstimate, heart_rate_from_ppg
from accessibility.signals.window import WaveformWindow

__all__ = [
    "Compression",
    "CompressionDetector",
    "CprMetrics",
    "PpgEstimate",
    "Release",
    "WaveformWindow",
    "cpr_metrics",
    "heart_rate_from_ppg",
]
