"""Operations: the application's Prometheus metrics and the worker's operations server."""
