"""The process's tracer provider: None while tracing is off. ``kinerja.observability``
sets it from the settings (OTLP when ``KINERJA_OTLP_ENDPOINT`` is set); tests give an
in-memory one; the API and the Temporal client read it."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider

_provider: TracerProvider | None = None


def tracer_provider() -> TracerProvider | None:
    """The process's tracer provider, when tracing is configured; else None (off)."""
    return _provider


def use_tracer_provider(provider: TracerProvider | None) -> None:
    """Make ``provider`` the process's (None: tracing off)."""
    global _provider
    _provider = provider
