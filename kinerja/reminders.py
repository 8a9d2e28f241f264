"""Reminders from the settings: the notifier, the workflow's configuration, and its
idempotent start (signal-with-start: started if absent, reconfigured if running)."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle

from activities.notify import LogNotifier, Notifier, SmtpNotifier, SmtpSettings
from domain.reminders import ReminderPolicy, parse_days_before
from kinerja.settings import Settings
from workflows.notifications.contract import NotificationConfig, NotificationStart
from workflows.notifications.workflow import NOTIFICATION_WORKFLOW_ID, NotificationWorkflow
from workflows.reminders.contract import ReminderConfig, ReminderStart
from workflows.reminders.workflow import REMINDER_WORKFLOW_ID, ReminderWorkflow


def reminder_config(settings: Settings) -> ReminderConfig:
    link = settings.reminder_link_base_url or f"http://{settings.api_host}:{settings.api_port}"
    return ReminderConfig(
        policy=ReminderPolicy(days_before=parse_days_before(settings.reminder_days_before)),
        scan_seconds=settings.reminder_scan_seconds, link_base_url=link,
        time_zone=settings.reminder_time_zone)


def notification_config(settings: Settings) -> NotificationConfig:
    link = settings.reminder_link_base_url or f"http://{settings.api_host}:{settings.api_port}"
    return NotificationConfig(poll_seconds=settings.notify_poll_seconds, link_base_url=link,
                              time_zone=settings.reminder_time_zone)


def notifier_from_settings(settings: Settings) -> Notifier:
    """SMTP when ``KINERJA_SMTP_HOST`` is set (the log for people without an address),
    else the log."""
    if not settings.smtp_host:
        return LogNotifier()
    return SmtpNotifier(SmtpSettings(
        host=settings.smtp_host, port=settings.smtp_port, user=settings.smtp_user,
        password=settings.smtp_password, starttls=settings.smtp_starttls,
        ssl=settings.smtp_ssl, from_address=settings.smtp_from))


def reminder_options(settings: Settings) -> dict[str, Any]:
    """``running_worker`` keyword arguments: the notifier, and the reminder workflow's
    configuration when reminders are enabled (the worker then starts it)."""
    return {"notifier": notifier_from_settings(settings),
            "reminders": reminder_config(settings) if settings.reminder_enabled else None,
            "notifications": (notification_config(settings) if settings.notify_enabled
                              else None)}


async def start_reminders(client: Client, config: ReminderConfig, *, task_queue: str,
                          workflow_id: str = REMINDER_WORKFLOW_ID
                          ) -> WorkflowHandle[ReminderWorkflow, None]:
    """Start the reminder workflow, or hand the running one this configuration."""
    return await client.start_workflow(
        ReminderWorkflow.run, ReminderStart(config=config), id=workflow_id,
        task_queue=task_queue, start_signal="configure", start_signal_args=[config])


async def start_notifications(client: Client, config: NotificationConfig, *, task_queue: str,
                              workflow_id: str = NOTIFICATION_WORKFLOW_ID
                              ) -> WorkflowHandle[NotificationWorkflow, None]:
    """Start the notification workflow, or hand the running one this configuration."""
    return await client.start_workflow(
        NotificationWorkflow.run, NotificationStart(config=config), id=workflow_id,
        task_queue=task_queue, start_signal="configure", start_signal_args=[config])
