"""A cycle created over HTTP on a real Temporal and PostgreSQL is in the agency's zone
(its settings): a deadline given as a date is the end of that day there, one given as an
instant the end of the day it falls on there; a zone that is not the agency's, or a date
far from the cycle's year, is refused naming the field and creates nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from domain.policy import end_of_day

from .conftest import YEAR, Stack
from .test_cycle import call


async def test_the_calendar_is_in_the_agencys_zone_each_deadline_the_end_of_its_day(
        stack: Stack) -> None:
    await call(stack, "PUT", f"/v1/agencies/{stack.agency}/settings",
               body={"utc_offset_hours": 8})
    today = datetime.now(timezone(timedelta(hours=8))).date()
    skp_day, self_day = today + timedelta(days=10), today + timedelta(days=40)
    # 00:30 WIT: still the day before in WITA.
    review_day = today + timedelta(days=70)
    review = datetime.combine(review_day + timedelta(days=1), datetime.min.time(),
                              tzinfo=timezone(timedelta(hours=9))) + timedelta(minutes=30)
    refused = await call(stack, "POST", "/v1/cycles", expect=422, body={
        "agency": stack.agency, "year": YEAR, "utc_offset_hours": 7})
    assert refused["errors"][0]["field"] == "utc_offset_hours"
    assert refused["errors"][0]["rule"] == "agency_zone"
    far = await call(stack, "POST", "/v1/cycles", expect=422, body={
        "agency": stack.agency, "year": YEAR, "calendar": {"skp_deadline": "9999-12-31"}})
    assert far["errors"][0]["field"] == "calendar.skp_deadline"
    created = await call(stack, "POST", "/v1/cycles", expect=201, body={
        "agency": stack.agency, "year": YEAR,
        "calendar": {"skp_deadline": skp_day.isoformat(),
                     "self_assessment_deadline": self_day.isoformat(),
                     "review_deadline": review.isoformat()}})
    calendar = created["cycle"]["state"]["calendar"]
    assert calendar["utc_offset_hours"] == 8
    assert datetime.fromisoformat(calendar["skp_deadline"]) == end_of_day(skp_day, 8)
    assert datetime.fromisoformat(calendar["self_assessment_deadline"]) == end_of_day(
        self_day, 8)
    assert datetime.fromisoformat(calendar["review_deadline"]) == end_of_day(review_day, 8)
