"""MQTT gateway: turns device messages into validated, typed telemetry.

Only ``gateway.mqtt_client`` imports paho; everything else here is pure.

Exception tree::

    GatewayError
    └── MqttConnectionError   the broker could not be reached or refused us
"""
