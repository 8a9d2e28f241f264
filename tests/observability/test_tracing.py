"""One trace from the HTTP request through the workflow update to the activity, caught by an
in-memory span exporter (the OTLP exporter is the same provider with another processor)."""

from __future__ import annotations

import asyncpg
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.testing import WorkflowEnvironment

from kinerja.observability import temporal_interceptors, tracer_provider, use_tracer_provider

from .conftest import api_over, client_of


async def test_one_trace_from_request_to_activity(temporal_dev: WorkflowEnvironment,
                                                  app_pool: asyncpg.Pool) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    assert tracer_provider() is None and temporal_interceptors() == []  # off by default
    use_tracer_provider(provider)
    try:
        client = await client_of(temporal_dev, temporal_interceptors())
        async for api in api_over(client, app_pool):
            created = await api.http.post(
                "/v1/appraisals", json=api.open_body(),
                headers=api.headers("e-hr", "employee", "hr", key="traced-open"))
            assert created.status_code == 201, created.text
    finally:
        use_tracer_provider(None)
    provider.force_flush()
    spans = exporter.get_finished_spans()
    request = [s for s in spans if s.name == "POST /v1/appraisals"]
    assert len(request) == 1, [s.name for s in spans]
    trace_id = request[0].context.trace_id
    traced = {s.name for s in spans if s.context.trace_id == trace_id}
    assert "StartUpdateWithStartWorkflow:AppraisalWorkflow" in traced, traced
    assert "HandleUpdate:command" in traced, traced
    assert "RunActivity:record_appraisal_events" in traced, traced
