"""The yearly schedule that creates next year's cycle of an agency (off by default).

One Temporal Schedule per agency, ``next-cycle-<agency>``, fires on a configured
day each year (``KINERJA_NEXT_CYCLE_ON``, ``MM-DD``, at 00:00 in the agency's
time zone) and runs ``NextCycleWorkflow``, which creates the cycle for the year
after. Creating is idempotent: a cycle that exists already is left alone.
"""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from kinerja.settings import Settings
from workflows.cycle.contract import NextCycleInput
from workflows.cycle.workflow import NextCycleWorkflow


def schedule_id(agency: str) -> str:
    return f"next-cycle-{agency}"


def next_cycle_schedule(agency: str, on: str, *, policy: str, utc_offset_hours: int,
                        task_queue: str) -> Schedule:
    """The schedule that creates ``agency``'s next cycle on ``on`` (``MM-DD``) each year."""
    month, day = (int(part) for part in on.split("-"))
    zone = {7: "Asia/Jakarta", 8: "Asia/Makassar", 9: "Asia/Jayapura"}[utc_offset_hours]
    return Schedule(
        action=ScheduleActionStartWorkflow(
            NextCycleWorkflow.run,
            NextCycleInput(agency=agency, policy=policy, utc_offset_hours=utc_offset_hours),
            id=f"next-cycle-{agency}", task_queue=task_queue),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(month=[ScheduleRange(month)],
                                            day_of_month=[ScheduleRange(day)])],
            time_zone_name=zone),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_next_cycle_schedules(client: Client, settings: Settings) -> list[str]:
    """Create (or bring up to date) the schedule of every configured agency; their ids.
    Nothing when ``next_cycle_on`` is unset."""
    if not settings.next_cycle_on:
        return []
    made = []
    for agency in filter(None, (a.strip() for a in settings.next_cycle_agencies.split(","))):
        schedule = next_cycle_schedule(
            agency, settings.next_cycle_on, policy=settings.next_cycle_policy,
            utc_offset_hours=settings.next_cycle_utc_offset_hours,
            task_queue=settings.task_queue)
        try:
            await client.create_schedule(schedule_id(agency), schedule)
        except ScheduleAlreadyRunningError:
            def replace(_: ScheduleUpdateInput, new: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=new)
            await client.get_schedule_handle(schedule_id(agency)).update(replace)
        made.append(schedule_id(agency))
    return made
