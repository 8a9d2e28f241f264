"""Policy as data: every number of the appraisal rules lives in a :class:`Policy`.

A cycle carries its policy. Another agency or a later regulation changes the
policy, not the program. Two are built in: :data:`POLICY_6_2022` (PermenPAN-RB
6/2022, the default) and :data:`POLICY_PP30_2019` (the older numeric scheme).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.calibration import CurveRule, OrganisationRating
from domain.ratings import Predikat, Rating


class FunctionalLevel(StrEnum):
    """Jenjang jabatan fungsional (skill and expert tracks)."""

    PEMULA = "pemula"
    TERAMPIL = "terampil"
    MAHIR = "mahir"
    PENYELIA = "penyelia"
    AHLI_PERTAMA = "ahli_pertama"
    AHLI_MUDA = "ahli_muda"
    AHLI_MADYA = "ahli_madya"
    AHLI_UTAMA = "ahli_utama"


class DateRule(BaseModel):
    """A calendar date relative to the cycle year: ``year + year_offset``-``month``-``day``."""

    model_config = ConfigDict(frozen=True)

    year_offset: int
    month: int
    day: int

    def for_year(self, year: int) -> date:
        return date(year + self.year_offset, self.month, self.day)


class Policy(BaseModel):
    """Everything that makes one appraisal regime; attached to every cycle and appraisal."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    scheme: Literal["ratings", "numeric"]
    predikat_order: tuple[Predikat, ...]
    """Best first."""

    # 6/2022: the predikat matrix and the suggested overall ratings.
    predikat_matrix: dict[Rating, dict[Rating, Predikat]]
    small_share_main_below: Decimal
    """Largest share of main results below expectation that still suggests "meets"."""
    leader_rating_from_organisation: dict[OrganisationRating, Rating]
    rhk_weights: bool = False
    """Whether an SKP may weigh its RHK (``Rhk.weight``) in the suggested work-result
    rating. Off under 6/2022, which does not weigh; some agencies weigh by job: their
    policy turns it on. Kinerja's option, no source in 6/2022."""
    behaviour_below_from: int = 2
    """How many of the seven behaviour values below expectation suggest "below" overall:
    Kinerja's suggestion, no source (see :func:`domain.ratings.suggest_behaviour_rating`).
    The default is the rule stored policies were made under."""

    # PP 30/2019: weighted numeric score and bands.
    skp_weight: Decimal
    behaviour_weight: Decimal
    skp_weight_with_peers: Decimal
    behaviour_weight_with_peers: Decimal
    numeric_bands: tuple[tuple[Decimal, Predikat], ...]
    """``(lower bound, predikat)`` highest first; below every bound: Sangat Kurang."""
    numeric_top_needs_innovation_from: Decimal
    numeric_max_score: Decimal

    # Calibration.
    curve: dict[OrganisationRating, tuple[CurveRule, ...]] | None
    """The distribution curve per organisation rating; ``None``: the policy has no curve,
    so calibration checks nothing and every unit passes (PP 30/2019, see its policy)."""

    # SKP content.
    jpt_perspectives: tuple[str, ...]
    progress_periods: tuple[Literal["monthly", "quarterly"], ...]

    # Periodic appraisal (penilaian kinerja periodik).
    review_periods: Literal["monthly", "quarterly"] | None = None
    """How often the appraiser rates the year's work with feedback (PermenPAN-RB 6/2022,
    penilaian kinerja periodik: monthly or quarterly, as the agency chooses). ``None``: no
    periodic review, the rule of policies recorded before this field (a stored policy
    without it replays as it was decided). See :func:`period_end`."""
    period_review_days: int = 10
    """Days after a period's end by which its periodic review is due (the end of the
    last day in the agency's zone, :func:`deadline_after_days`). No source gives them:
    Kinerja's choice (see ``assumptions``)."""

    # Windows and calendar defaults.
    skp_deadline: DateRule
    self_assessment_deadline: DateRule
    review_deadline: DateRule
    objection_window_days: int
    objection_decision_days: int
    deadline_days_end: Literal["elapsed", "end_of_day"] = "elapsed"
    """When a period of days (the objection window, the objection decision) ends, and
    where any deadline set by hand (an extension) falls. ``"end_of_day"``: at the end of
    the last day, counted in calendar days from the day after the event, in the agency's
    zone (WIB/WITA/WIT, the calendar's ``utc_offset_hours``); a deadline set by hand ends
    at the end of its day there. ``"elapsed"``: ``days x 24 h`` from the event's instant,
    and a hand-set deadline as given: the rule the policies recorded before this field
    were made under, which a stored policy without the field keeps (its history replays as
    it was decided). The sources give the number of days, not when a day ends: see
    :func:`deadline_after_days`."""

    # Consequences.
    credit_share_percent: dict[Predikat, Decimal]
    credit_coefficients: dict[FunctionalLevel, Decimal]
    credit_partial_month: Literal["more_than_half", "whole"] = "more_than_half"
    """How a month partly served in a position counts for its credit points
    (:func:`domain.credit.months_served`): more than half of its days, or every day.
    PermenPAN-RB 1/2023 pro-rates by months and leaves partial months open: Kinerja's
    choice (see ``assumptions``)."""

    # What the sources leave open.
    assumptions: dict[str, str] = Field(default_factory=dict)
    """Values of this policy that no source gives, keyed by the field they set
    (``"credit_share_percent.cukup"``), each with the reading Kinerja chose."""

    def rank(self, predikat: Predikat) -> int:
        """0 for the best predikat of this policy, larger for worse."""
        return self.predikat_order.index(predikat)


def _rule(kind: str, *predikat: Predikat, share: str | None = None, count: int | None = None
          ) -> CurveRule:
    return CurveRule.model_validate(
        {"kind": kind, "predikat": predikat,
         "share": Decimal(share) if share is not None else None, "count": count}
    )


_SB, _B, _C = Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.CUKUP
_BP, _K, _SK = Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG
_ABOVE, _MEETS, _BELOW = Rating.ABOVE, Rating.MEETS, Rating.BELOW

_SEBAGIAN_BESAR = (
    "'sebagian besar (maksimal 70%)' in SE MenPAN-RB 3/2023 is read as a majority: more "
    "than 50% and at most 70% of the unit (our interpretation: 'sebagian besar' is the "
    "greater part of the unit, not merely its largest group; a plurality such as 40/30/30 "
    "does not pass)"
)

_END_OF_DAY = (
    "a period of N days (the 14-day objection window of PermenPAN-RB 6/2022, the 14 days "
    "of the decision) runs to the end of the Nth calendar day after the day of the event, "
    "in the agency's zone (WIB/WITA/WIT); a deadline set by hand ends at the end of its "
    "day there. The sources give the days, not when a day ends: Kinerja's reading of "
    "Indonesian administrative practice (whole calendar days, the day of the event not "
    "counted)"
)

_PERIODIC = (
    "PermenPAN-RB 6/2022 has the appraiser rate performance periodically (monthly or "
    "quarterly, as the agency chooses) with feedback; Kinerja's default is quarterly, and "
    "a period's review is due by the end of the 10th day after the period ends in the "
    "agency's zone (the source gives no number of days: Kinerja's choice, the tenth of the "
    "next month of Indonesian reporting practice); a missed period is recorded and blocks "
    "nothing; a period is reviewed once (later words go through feedback)"
)

_PARTIAL_MONTH = (
    "credit points are pro-rated by the months served in the position (PermenPAN-RB "
    "1/2023); a month partly served counts when more than half of its days were served "
    "there, so a month counts for one position at most (Kinerja's choice: the source "
    "leaves partial months open)"
)

_CURVE_SE_3_2023: dict[OrganisationRating, tuple[CurveRule, ...]] = {
    # "Sebagian besar" is a majority (_SEBAGIAN_BESAR), not a plurality with ties.
    OrganisationRating.ISTIMEWA: (
        _rule("more_than_share", _SB, share="0.50"),
        _rule("at_most_share", _SB, share="0.70"),
    ),
    OrganisationRating.BAIK: (
        _rule("more_than_share", _B, share="0.50"),
        _rule("at_most_share", _B, share="0.70"),
        _rule("at_least_count", _BP, _K, count=1),
    ),
    OrganisationRating.BUTUH_PERBAIKAN: (
        _rule("at_least_share", _BP, share="0.60"),
        _rule("at_most_share", _SB, share="0.10"),
    ),
    OrganisationRating.KURANG: (
        _rule("at_least_share", _K, share="0.60"),
        _rule("at_least_share", _BP, share="0.10"),
        _rule("at_most_share", _SB, share="0.10"),
    ),
    OrganisationRating.SANGAT_KURANG: (
        _rule("at_least_share", _SK, share="0.60"),
        _rule("at_least_share", _K, _BP, share="0.10"),
        _rule("at_most_share", _SB, share="0"),
    ),
}

_CREDIT_COEFFICIENTS = {
    FunctionalLevel.PEMULA: Decimal("3.75"),
    FunctionalLevel.TERAMPIL: Decimal("5"),
    FunctionalLevel.MAHIR: Decimal("12.5"),
    FunctionalLevel.PENYELIA: Decimal("25"),
    FunctionalLevel.AHLI_PERTAMA: Decimal("12.5"),
    FunctionalLevel.AHLI_MUDA: Decimal("25"),
    FunctionalLevel.AHLI_MADYA: Decimal("37.5"),
    FunctionalLevel.AHLI_UTAMA: Decimal("50"),
}

POLICY_6_2022 = Policy(
    name="permenpan-rb-6-2022",
    title="PermenPAN-RB 6/2022",
    scheme="ratings",
    predikat_order=(_SB, _B, _BP, _K, _SK),
    predikat_matrix={
        _ABOVE: {_BELOW: _K, _MEETS: _B, _ABOVE: _SB},
        _MEETS: {_BELOW: _K, _MEETS: _B, _ABOVE: _B},
        _BELOW: {_BELOW: _SK, _MEETS: _BP, _ABOVE: _BP},
    },
    small_share_main_below=Decimal("0.25"),
    leader_rating_from_organisation={
        OrganisationRating.ISTIMEWA: _ABOVE,
        OrganisationRating.BAIK: _MEETS,
        OrganisationRating.BUTUH_PERBAIKAN: _BELOW,
        OrganisationRating.KURANG: _BELOW,
        OrganisationRating.SANGAT_KURANG: _BELOW,
    },
    skp_weight=Decimal("0.7"),
    behaviour_weight=Decimal("0.3"),
    skp_weight_with_peers=Decimal("0.6"),
    behaviour_weight_with_peers=Decimal("0.4"),
    numeric_bands=((Decimal(90), _B), (Decimal(70), _C), (Decimal(50), _K)),
    numeric_top_needs_innovation_from=Decimal(110),
    numeric_max_score=Decimal(120),
    curve=_CURVE_SE_3_2023,
    jpt_perspectives=(
        "penerima layanan", "penguatan internal", "proses bisnis", "anggaran",
    ),
    progress_periods=("monthly", "quarterly"),
    skp_deadline=DateRule(year_offset=0, month=1, day=31),
    self_assessment_deadline=DateRule(year_offset=1, month=1, day=15),
    review_deadline=DateRule(year_offset=1, month=1, day=31),
    objection_window_days=14,
    objection_decision_days=14,
    deadline_days_end="end_of_day",
    credit_share_percent={
        _SB: Decimal(150), _B: Decimal(100), _BP: Decimal(75), _K: Decimal(50), _SK: Decimal(25),
    },
    credit_coefficients=_CREDIT_COEFFICIENTS,
    behaviour_below_from=2,
    rhk_weights=False,
    review_periods="quarterly",
    period_review_days=10,
    assumptions={
        "curve.sebagian_besar": _SEBAGIAN_BESAR,
        "review_periods": _PERIODIC,
        "deadline_days_end": _END_OF_DAY,
        "credit_partial_month": _PARTIAL_MONTH,
        "behaviour_below_from": (
            "the suggested behaviour rating (two of seven values below gives 'below') is "
            "Kinerja's suggestion, no source; the appraiser overrides it with a reason"
        ),
    },
)
"""PermenPAN-RB 6/2022: ratings matrix, SE MenPAN-RB 3/2023 curve. The default."""

POLICY_PP30_2019 = POLICY_6_2022.model_copy(
    update={
        "name": "pp-30-2019",
        "title": "PP 30/2019 (numeric)",
        "scheme": "numeric",
        "predikat_order": (_SB, _B, _C, _K, _SK),
        # No curve: the SE MenPAN-RB 3/2023 curve is written for the predikat of
        # 6/2022 (its lower ratings ask for shares of Butuh Perbaikan, which PP 30
        # never produces: it gives Cukup), and Kinerja has no source for a PP 30
        # curve. Reading Cukup as Butuh Perbaikan would be a curve of our own making.
        "curve": None,
        "credit_share_percent": {
            _SB: Decimal(150), _B: Decimal(100), _C: Decimal(75), _K: Decimal(50),
            _SK: Decimal(25),
        },
        "assumptions": {
            "credit_share_percent.cukup": (
                "Cukup earns 75% of the coefficient, the share of Butuh Perbaikan under "
                "6/2022 (the predikat in the same place of the order); no source gives "
                "Cukup a share in the 6/2022 credit table"
            ),
            "behaviour_below_from": POLICY_6_2022.assumptions["behaviour_below_from"],
            "deadline_days_end": _END_OF_DAY,
            "credit_partial_month": _PARTIAL_MONTH,
            "review_periods": _PERIODIC,
            "curve": (
                "no distribution curve: SE MenPAN-RB 3/2023 is written for 6/2022's "
                "predikat and names none for PP 30/2019"
            ),
        },
    }
)
"""PP 30/2019: score = 70% SKP + 30% behaviour (60/40 with peer input), five bands; no curve."""

POLICIES: dict[str, Policy] = {p.name: p for p in (POLICY_6_2022, POLICY_PP30_2019)}
"""Built-in policies by name."""

DEFAULT_UTC_OFFSET_HOURS = 7

DEADLINE_YEARS = (2000, 2999)
"""The years a deadline someone gives may fall in: far wider than any appraisal needs,
narrow enough that every date arithmetic on it (the end of its day in WIT) stays within
what a date can hold (a year 9999 given in UTC would overflow there)."""


def _deadline_year(value: datetime) -> datetime:
    if not DEADLINE_YEARS[0] <= value.year <= DEADLINE_YEARS[1]:
        raise ValueError(f"a deadline falls in the years {DEADLINE_YEARS[0]} to "
                         f"{DEADLINE_YEARS[1]}")
    return value


GivenDeadline = Annotated[datetime, AfterValidator(_deadline_year)]
"""A deadline a person gives (an extension, a move): an instant within ``DEADLINE_YEARS``."""
"""WIB. Agencies in WITA (8) or WIT (9) set their own on the cycle."""


class CycleCalendar(BaseModel):
    """The deadlines of one cycle, as moments (end of the named day in the agency's zone)."""

    model_config = ConfigDict(frozen=True)

    year: int
    utc_offset_hours: int
    skp_deadline: datetime
    self_assessment_deadline: datetime
    review_deadline: datetime


def end_of_day(day: date, utc_offset_hours: int) -> datetime:
    """The last microsecond of ``day`` in a fixed-offset zone (Indonesia has no DST)."""
    zone = timezone(timedelta(hours=utc_offset_hours))
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=zone)


def default_calendar(
    year: int, policy: Policy, utc_offset_hours: int = DEFAULT_UTC_OFFSET_HOURS
) -> CycleCalendar:
    """Every deadline of a cycle from the policy's calendar defaults."""
    return CycleCalendar(
        year=year,
        utc_offset_hours=utc_offset_hours,
        skp_deadline=end_of_day(policy.skp_deadline.for_year(year), utc_offset_hours),
        self_assessment_deadline=end_of_day(
            policy.self_assessment_deadline.for_year(year), utc_offset_hours
        ),
        review_deadline=end_of_day(policy.review_deadline.for_year(year), utc_offset_hours),
    )


def deadline_given(value: date | datetime, utc_offset_hours: int) -> datetime:
    """A deadline HR gives in a cycle's calendar: a date is the end of that day in the
    agency's zone; an instant is rounded up to the end of the day it falls on there (an
    instant without a zone is read in the agency's zone). Deadlines shown to people are
    ends of days (issue 16)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return end_of_day(value.date(), utc_offset_hours)
        return end_of_local_day(value, utc_offset_hours)
    return end_of_day(value, utc_offset_hours)


def calendar_given(year: int, policy: Policy, utc_offset_hours: int,
                   given: Mapping[str, date | datetime]) -> CycleCalendar:
    """A cycle's calendar: the policy's defaults, each deadline HR gave instead
    (:func:`deadline_given`)."""
    return default_calendar(year, policy, utc_offset_hours).model_copy(update={
        name: deadline_given(value, utc_offset_hours) for name, value in given.items()})


def end_of_local_day(moment: datetime, utc_offset_hours: int) -> datetime:
    """The end of the day ``moment`` falls on in the agency's fixed-offset zone."""
    zone = timezone(timedelta(hours=utc_offset_hours))
    return end_of_day(moment.astimezone(zone).date(), utc_offset_hours)


def deadline_after_days(start: datetime, days: int, utc_offset_hours: int,
                        policy: Policy) -> datetime:
    """The one rule for a deadline ``days`` after an event at ``start``.

    Under ``Policy.deadline_days_end == "end_of_day"`` (the built-in policies): the end
    of the ``days``-th calendar day after the day of ``start`` in the agency's zone
    (released on 3 March at 16:00 WITA, 14 days: the window closes at the end of
    17 March WITA; 23:59:59 local that day is inside, 00:00 the next day outside). The
    number of days is PermenPAN-RB 6/2022's; when the day ends is Kinerja's reading (see
    the policy's ``assumptions``). Under ``"elapsed"`` (policies recorded before the
    rule): ``start + days x 24 h``.
    """
    if policy.deadline_days_end == "elapsed":
        return start + timedelta(days=days)
    return end_of_days_after(start, days, utc_offset_hours)


def end_of_days_after(start: datetime, days: int, utc_offset_hours: int) -> datetime:
    """The end of the ``days``-th calendar day after the day of ``start`` in the agency's
    fixed-offset zone: how every deadline of days shown to people ends."""
    zone = timezone(timedelta(hours=utc_offset_hours))
    return end_of_day(start.astimezone(zone).date() + timedelta(days=days), utc_offset_hours)


def deadline_set_by_hand(until: datetime, utc_offset_hours: int, policy: Policy) -> datetime:
    """A deadline HR sets (an extension): the end of its day in the agency's zone under
    ``"end_of_day"``, as given under ``"elapsed"``."""
    if policy.deadline_days_end == "elapsed":
        return until
    return end_of_local_day(until, utc_offset_hours)


def objection_deadline(released_at: datetime, policy: Policy,
                       utc_offset_hours: int = DEFAULT_UTC_OFFSET_HOURS) -> datetime:
    """End of the objection window: ``objection_window_days`` after release."""
    return deadline_after_days(released_at, policy.objection_window_days, utc_offset_hours,
                               policy)


def objection_decision_deadline(filed_at: datetime, policy: Policy,
                                utc_offset_hours: int = DEFAULT_UTC_OFFSET_HOURS) -> datetime:
    """When an undecided objection escalates to HR (the superior still decides)."""
    return deadline_after_days(filed_at, policy.objection_decision_days, utc_offset_hours,
                               policy)


def period_count(policy: Policy) -> int:
    """How many review periods a cycle year has under ``policy`` (0: none)."""
    return {"monthly": 12, "quarterly": 4, None: 0}[policy.review_periods]


def period_last_day(year: int, period: int, policy: Policy) -> date:
    """The last day of review period ``period`` (1-based) of cycle ``year``: the last day of
    month ``period`` (monthly) or of quarter ``period`` (quarterly)."""
    if not 1 <= period <= period_count(policy):
        raise ValueError(f"period {period} is not a review period of {policy.title}")
    month = period * 3 if policy.review_periods == "quarterly" else period
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_of_next - timedelta(days=1)


def period_end(year: int, period: int, policy: Policy, utc_offset_hours: int) -> datetime:
    """The moment review period ``period`` ends: the end of its last day in the agency's
    zone. A period is reviewable after it."""
    return end_of_day(period_last_day(year, period, policy), utc_offset_hours)


def period_review_due(year: int, period: int, policy: Policy, utc_offset_hours: int
                      ) -> datetime:
    """When the periodic review of ``period`` is due: ``period_review_days`` after its end
    by the one rule of days (:func:`deadline_after_days`): Q1 under 6/2022 by the end of
    10 April in the agency's zone."""
    return deadline_after_days(period_end(year, period, policy, utc_offset_hours),
                               policy.period_review_days, utc_offset_hours, policy)


def credit_points(
    level: FunctionalLevel, predikat: Predikat, policy: Policy, months: int = 12
) -> Decimal:
    """Angka kredit earned (PermenPAN-RB 1/2023): coefficient x share of the predikat, pro
    rata for ``months`` of 12 served in the position (:func:`domain.credit.months_served`;
    0 months earn nothing)."""
    if not 0 <= months <= 12:
        raise ValueError("months must be between 0 and 12")
    coefficient = policy.credit_coefficients[level]
    share = policy.credit_share_percent[predikat] / Decimal(100)
    return (coefficient * share * Decimal(months) / Decimal(12)).quantize(Decimal("0.0001"))


EVIDENCE_MEDIA_TYPES: frozenset[str] = frozenset({
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
})
"""The evidence files accepted (``domain.evidence.detect`` tells them by their bytes).
Kinerja's choice, no source: PDF, photos and scans (JPEG, PNG), and the office documents
an Indonesian office writes: Word, Excel and PowerPoint (DOCX, XLSX, PPTX) and
LibreOffice's (ODT, ODS). Not the legacy binary ``.doc``/``.xls`` and no macro-enabled
document (``.docm``, ``.xlsm``): formats that carry macros are not evidence."""


class MeasuredIndicatorPolicy(BaseModel):
    """How an indicator bound to a measured source is filled (issue 15 section 3). Every
    field is Kinerja's choice: the regulations name the IKM and the complaint deadline but
    not how they become an SKP realisation."""

    model_config = ConfigDict(frozen=True)

    period: Literal["cycle_year"] = "cycle_year"
    """The period measured: the cycle's year, 1 January to 31 December in the agency's
    zone; its IKM is one index over both semesters' responses together (not the mean of
    two semester indices). Measured at the end of 31 December, before the self-assessment
    deadline (15 January), so the employee and the appraiser see it before the review."""
    complaint_kinds: tuple[str, ...] = ("pengaduan",)
    """Which filings count for the complaint figures: complaints, not suggestions (saran)."""
    response_time_unit_seconds: int = 3600
    """The median response time is given in hours."""
    places: int = 2
    """Figures rounded half up to two places."""


MEASURED_INDICATORS = MeasuredIndicatorPolicy()
"""The one measured-indicator policy (see the README's rules)."""


COMPLAINT_PHOTO_MEDIA_TYPES: frozenset[str] = frozenset({"image/jpeg", "image/png"})
"""The photo a complaint may carry (``domain.complaint.photo_of`` tells it by its bytes).
Kinerja's choice, no source: what a phone's camera or screenshot gives, nothing that
carries scripts or pages (no SVG, PDF or office file)."""
