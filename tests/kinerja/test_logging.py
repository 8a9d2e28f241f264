"""Logging: one JSON object a line, with the context bound through structlog's contextvars."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import structlog

from kinerja.logging import configure_logging

from .helpers import preserved_logging


def _records(err: str) -> list[dict[str, Any]]:
    """Every stderr line as a JSON object (fails on any line that is not one)."""
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_structlog_line_is_one_json_object_with_the_bound_request_id(
        capsys: pytest.CaptureFixture[str]) -> None:
    with preserved_logging():
        configure_logging("json", "INFO")
        structlog.contextvars.bind_contextvars(request_id="req-42")
        structlog.get_logger("kinerja.test").info("appraisal opened", appraisal="a-1")
    records = _records(capsys.readouterr().err)
    assert len(records) == 1
    record = records[0]
    assert record["event"] == "appraisal opened"
    assert record["level"] == "info"
    assert record["request_id"] == "req-42"
    assert record["appraisal"] == "a-1"
    assert record["logger"] == "kinerja.test"
    logged_at = datetime.fromisoformat(record["timestamp"])
    assert logged_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - logged_at) < timedelta(minutes=1)


def test_standard_library_logging_goes_through_the_same_renderer(
        capsys: pytest.CaptureFixture[str]) -> None:
    with preserved_logging():
        configure_logging("json", "INFO")
        structlog.contextvars.bind_contextvars(workflow_id="wf-7")
        stdlib = logging.getLogger("temporalio.something")
        stdlib.info("plain %s line", "stdlib")
        try:
            raise ValueError("boom")
        except ValueError:
            stdlib.exception("it failed")
    first, second = _records(capsys.readouterr().err)
    assert first["event"] == "plain stdlib line" and first["level"] == "info"
    assert first["logger"] == "temporalio.something" and first["workflow_id"] == "wf-7"
    assert second["level"] == "error" and second["event"] == "it failed"
    assert "ValueError: boom" in second["exception"]


def test_the_level_filters_and_the_noisy_loggers_are_quieted(
        capsys: pytest.CaptureFixture[str]) -> None:
    with preserved_logging():
        configure_logging("json", "warning")
        structlog.get_logger("kinerja.test").info("not shown")
        structlog.get_logger("kinerja.test").warning("shown")
        quiet = logging.getLogger("uvicorn.access").getEffectiveLevel()
        configure_logging("json", "debug")
        structlog.get_logger("kinerja.test").debug("shown at debug")
        logging.getLogger("uvicorn.access").info("GET / 200")
    assert quiet == logging.WARNING
    assert [r["event"] for r in _records(capsys.readouterr().err)] == ["shown", "shown at debug"]


def test_console_format_is_for_people(capsys: pytest.CaptureFixture[str]) -> None:
    with preserved_logging():
        configure_logging("console", "INFO")
        structlog.contextvars.bind_contextvars(request_id="req-9")
        structlog.get_logger("kinerja.test").info("appraisal opened")
    err = capsys.readouterr().err
    assert "appraisal opened" in err and "request_id=req-9" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.strip())


def test_auto_is_json_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with preserved_logging():
        configure_logging("auto", "INFO")
        structlog.get_logger("kinerja.test").info("piped")
    assert _records(capsys.readouterr().err)[0]["event"] == "piped"
