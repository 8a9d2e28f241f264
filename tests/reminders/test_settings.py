"""Reminder settings: ``KINERJA_REMINDER_*`` and ``KINERJA_SMTP_*`` to a configuration and
a notifier."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from activities.notify import LogNotifier, SmtpNotifier
from kinerja.reminders import notifier_from_settings, reminder_config, reminder_options
from kinerja.settings import Settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """No ``KINERJA_*`` variable and no ``.env`` file: only what the test sets."""
    for name in list(os.environ):
        if name.startswith("KINERJA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    yield monkeypatch


def test_defaults_log_weekly_and_daily_reminders_hourly(env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    config = reminder_config(settings)
    assert config.policy.days_before == (7, 1) and config.scan_seconds == 3600
    assert config.link_base_url == "http://127.0.0.1:8000"
    assert config.time_zone == "Asia/Jakarta"
    assert isinstance(notifier_from_settings(settings), LogNotifier)
    assert reminder_options(settings)["reminders"] == config


def test_variables_choose_smtp_and_the_policy(env: pytest.MonkeyPatch) -> None:
    for name, value in {
        "REMINDER_DAYS_BEFORE": "14, 3,1",
        "REMINDER_SCAN_SECONDS": "600",
        "REMINDER_LINK_BASE_URL": "https://kinerja.pemkot.example",
        "REMINDER_TIME_ZONE": "Asia/Makassar",
        "SMTP_HOST": "mail.pemkot.example",
        "SMTP_PORT": "465",
        "SMTP_USER": "kinerja",
        "SMTP_PASSWORD": "s3cret",
        "SMTP_STARTTLS": "false",
        "SMTP_SSL": "true",
        "SMTP_FROM": "kinerja@pemkot.example",
    }.items():
        env.setenv(f"KINERJA_{name}", value)
    settings = Settings()
    config = reminder_config(settings)
    assert config.policy.days_before == (14, 3, 1) and config.scan_seconds == 600
    assert config.link_base_url == "https://kinerja.pemkot.example"
    notifier = notifier_from_settings(settings)
    assert isinstance(notifier, SmtpNotifier)
    smtp = notifier._settings
    assert (smtp.host, smtp.port, smtp.user, smtp.password) == (
        "mail.pemkot.example", 465, "kinerja", "s3cret")
    assert (smtp.starttls, smtp.ssl, smtp.domain) == (False, True, "pemkot.example")


def test_reminders_can_be_left_off(env: pytest.MonkeyPatch) -> None:
    env.setenv("KINERJA_REMINDER_ENABLED", "false")
    assert reminder_options(Settings())["reminders"] is None


@pytest.mark.parametrize("value", ["", "7,x", "0", "7;1"])
def test_malformed_days_before_is_refused_at_start_up(env: pytest.MonkeyPatch,
                                                      value: str) -> None:
    env.setenv("KINERJA_REMINDER_DAYS_BEFORE", value)
    with pytest.raises(ValidationError, match="reminder_days_before"):
        Settings()
