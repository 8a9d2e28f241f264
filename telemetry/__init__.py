"""What every process exposes about itself: Prometheus metrics (``metrics``), readiness
(``health``) and the process's tracer provider (``tracing``). The API, the worker and the
sealer all use it; it knows no settings (``kinerja.observability`` configures it)."""
