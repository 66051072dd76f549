"""Operations: Prometheus metrics (``metrics``) and the uvicorn server with our own
signal handling (``server``)."""
