"""Fixtures of the settings tests: the real SMTP server of the reminder tests."""

from __future__ import annotations

from tests.reminders.conftest import smtp_server

__all__ = ["smtp_server"]
