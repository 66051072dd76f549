"""Exceptions raised by the gateway package (see the tree in ``gateway/__init__``)."""


class GatewayError(Exception):
    """Base class of every error the gateway raises."""


class MqttConnectionError(GatewayError):
    """The broker could not be reached, or it refused the connection."""
