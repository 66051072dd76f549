"""Ingest glue: the ``Pipeline`` that takes one MQTT message through the gateway's pure
chain (topic → parse → validate → duplicate) into the twin, derived signals, the store and
the live hub, and the ``Partition`` rule that splits kits over gateway processes."""
