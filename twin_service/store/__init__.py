"""Time-series stores behind one small interface (``TimeSeriesStore``)."""

from twin_service.store.base import AppliedMessage, SamplePoint, StoredValue, TimeSeriesStore
from twin_service.store.factory import open_store

__all__ = ["AppliedMessage", "SamplePoint", "StoredValue", "TimeSeriesStore", "open_store"]
