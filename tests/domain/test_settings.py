"""An agency's settings, pure: addresses that cannot add a header or a recipient, the zone
and the complaint days each overriding the policy only when set, what a change records;
an HR-given deadline is the end of its day in the agency's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.complaint import COMPLAINT_POLICY
from domain.complaint.rules import deadline_of
from domain.policy import (
    POLICY_6_2022,
    calendar_given,
    deadline_given,
    default_calendar,
    end_of_day,
)
from domain.settings import (
    NO_SETTINGS,
    AgencySettings,
    complaint_policy,
    fold,
    iana_zone,
    utc_offset_of,
    zone_name,
)


@pytest.mark.parametrize("address", [
    "sdm@pemkot-makassar.go.id", "a.b+kinerja@x.co.id", "HR@Example.ORG"])
def test_ordinary_addresses_are_kept_as_written(address: str) -> None:
    assert AgencySettings(hr_contacts=(address,)).hr_contacts == (address,)


@pytest.mark.parametrize("address", [
    "sdm", "sdm@localhost", "a b@x.id", "a@x.id\r\nBcc: all@x.id", "a@x.id, b@x.id",
    "<a@x.id>", '"a"@x.id', "a@x.id\x00", "a@-x.id", "a@x..id", "ä@x.id", "a@" + "x" * 250 + ".id"])
def test_what_is_not_one_plain_address_is_refused_with_the_email_rule(address: str) -> None:
    with pytest.raises(ValidationError) as refused:
        AgencySettings(hr_contacts=(address,))
    error = refused.value.errors()[0]
    assert error["loc"][0] == "hr_contacts"
    assert error["type"] in ("email", "string_too_long")


@given(st.text(max_size=80))
def test_no_accepted_address_holds_a_separator_or_a_line_break(text: str) -> None:
    try:
        settings = AgencySettings(hr_contacts=(text,))
    except ValidationError:
        return
    (address,) = settings.hr_contacts
    assert not set(address) & set(" ,;<>\"\r\n\t\x00()[]\\:")
    assert address.count("@") == 1 and address.isascii()


def test_each_address_once_and_at_most_ten() -> None:
    with pytest.raises(ValidationError, match="each address once"):
        AgencySettings(hr_contacts=("a@x.id", "a@x.id"))
    with pytest.raises(ValidationError):
        AgencySettings(hr_contacts=tuple(f"hr{i}@x.id" for i in range(11)))


@pytest.mark.parametrize(("field", "value"), [
    ("utc_offset_hours", 6), ("utc_offset_hours", 10), ("complaint_response_days", 0),
    ("complaint_response_days", 366), ("complaint_response_days", 10**30)])
def test_a_zone_outside_indonesia_or_days_out_of_range_are_refused(field: str, value: int
                                                                  ) -> None:
    with pytest.raises(ValidationError) as refused:
        AgencySettings.model_validate({field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_the_zone_is_the_setting_else_the_calendar_else_wib() -> None:
    assert utc_offset_of(AgencySettings(utc_offset_hours=8), 9) == 8
    assert utc_offset_of(NO_SETTINGS, 9) == 9
    assert utc_offset_of(NO_SETTINGS) == 7
    assert [zone_name(h) for h in (7, 8, 9)] == ["WIB", "WITA", "WIT"]
    assert iana_zone(8) == "Asia/Makassar"


def test_the_complaint_days_are_the_policys_unless_the_agency_sets_its_own() -> None:
    filed = datetime(2026, 3, 2, 9, tzinfo=UTC)  # 16:00 WIB, 17:00 WITA
    assert complaint_policy(NO_SETTINGS) is COMPLAINT_POLICY
    wib, wita = timezone(timedelta(hours=7)), timezone(timedelta(hours=8))
    assert deadline_of(filed, complaint_policy(NO_SETTINGS)) == datetime(
        2026, 3, 16, 23, 59, 59, 999999, tzinfo=wib)  # the end of the 14th day, WIB
    own = complaint_policy(AgencySettings(complaint_response_days=5))
    assert own.response_days == 5 and own.text_max == COMPLAINT_POLICY.text_max
    assert deadline_of(filed, own, 8) == datetime(2026, 3, 7, 23, 59, 59, 999999, tzinfo=wita)
    # Filed late at night in the agency's zone: its day there counts, not UTC's.
    late = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 00:30 on 3 March WITA
    assert deadline_of(late, own, 8) == datetime(2026, 3, 8, 23, 59, 59, 999999, tzinfo=wita)


def test_a_change_records_only_what_differs_and_folds_back() -> None:
    before = AgencySettings(hr_contacts=("a@x.id",), utc_offset_hours=8)
    after = AgencySettings(hr_contacts=("a@x.id", "b@x.id"), utc_offset_hours=8,
                           complaint_response_days=10)
    changes = after.changes_from(before)
    assert changes == {"hr_contacts": ["a@x.id", "b@x.id"], "complaint_response_days": 10}
    assert fold([before.changes_from(NO_SETTINGS), changes]) == after
    assert after.changes_from(after) == {}
    cleared = AgencySettings().changes_from(after)
    assert cleared == {"hr_contacts": [], "utc_offset_hours": None,
                       "complaint_response_days": None}
    assert fold([before.changes_from(NO_SETTINGS), changes, cleared]) == NO_SETTINGS


WITA = timezone(timedelta(hours=8))


def test_an_hr_given_date_is_the_end_of_that_day_in_the_agencys_zone() -> None:
    assert deadline_given(date(2027, 1, 31), 8) == datetime(
        2027, 1, 31, 23, 59, 59, 999999, tzinfo=WITA)
    # An instant is rounded up to the end of the day it falls on there: 1 Feb 00:30 WIT
    # is 31 Jan 23:30 WITA.
    wit = timezone(timedelta(hours=9))
    assert deadline_given(datetime(2027, 2, 1, 0, 30, tzinfo=wit), 8) \
        == end_of_day(date(2027, 1, 31), 8)
    # Without a zone, an instant is read in the agency's.
    assert deadline_given(datetime(2027, 1, 31, 8, 0), 8) == end_of_day(date(2027, 1, 31), 8)
    calendar = calendar_given(2027, POLICY_6_2022, 8, {"skp_deadline": date(2027, 2, 14)})
    assert calendar.utc_offset_hours == 8
    assert calendar.skp_deadline == end_of_day(date(2027, 2, 14), 8)
    assert calendar.review_deadline == default_calendar(2027, POLICY_6_2022, 8).review_deadline


@given(st.datetimes(min_value=datetime(2020, 1, 2), max_value=datetime(2100, 12, 30),
                    timezones=st.sampled_from([UTC, timezone(timedelta(hours=7)), WITA,
                                               timezone(timedelta(hours=-5))])),
       st.sampled_from([7, 8, 9]))
def test_a_given_instant_is_never_moved_earlier_nor_past_its_local_day(
        moment: datetime, offset: int) -> None:
    deadline = deadline_given(moment, offset)
    zone = timezone(timedelta(hours=offset))
    assert deadline >= moment
    assert deadline.astimezone(zone).date() == moment.astimezone(zone).date()
    assert deadline.astimezone(zone).time().isoformat() == "23:59:59.999999"


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                    timezones=st.just(UTC)),
       st.sampled_from([7, 8, 9]), st.integers(min_value=1, max_value=365))
def test_a_complaint_deadline_is_the_end_of_a_day_in_the_agencys_zone(
        filed: datetime, offset: int, days: int) -> None:
    policy = complaint_policy(AgencySettings(complaint_response_days=days))
    deadline = deadline_of(filed, policy, offset)
    local = deadline.astimezone(timezone(timedelta(hours=offset)))
    assert (local.hour, local.minute, local.second, local.microsecond) == (23, 59, 59, 999999)
    # At least the days promised, never a whole day more.
    assert timedelta(days=days) <= deadline - filed < timedelta(days=days + 1)
