"""Value objects of an appraisal's content: the SKP, progress, activities, feedback,
self-assessment, review, objection and decision.

Structure is checked here by pydantic (field types, required parts, unique
ids); rules that need the policy or the appraisal's state (approach vs target,
perspectives for JPT, periods within the cycle) are checked in
:mod:`domain.appraisal`.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.ratings import Rating
from domain.text import Clean, Key
from domain.text import ShortText as ShortText  # re-exported: the commands' free text
from domain.text import Text as Text

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Approach(StrEnum):
    """SKP approach (pendekatan)."""

    QUANTITATIVE = "kuantitatif"
    QUALITATIVE = "kualitatif"


class RhkKind(StrEnum):
    MAIN = "utama"
    ADDITIONAL = "tambahan"


class Aspect(StrEnum):
    QUANTITY = "kuantitas"
    QUALITY = "kualitas"
    TIME = "waktu"
    COST = "biaya"


class CoreValue(StrEnum):
    """The seven BerAKHLAK core values of work behaviour."""

    BERORIENTASI_PELAYANAN = "berorientasi_pelayanan"
    AKUNTABEL = "akuntabel"
    KOMPETEN = "kompeten"
    HARMONIS = "harmonis"
    LOYAL = "loyal"
    ADAPTIF = "adaptif"
    KOLABORATIF = "kolaboratif"


class Target(Frozen):
    """A number and a unit (quantitative) or a text (qualitative)."""

    value: Decimal | None = None
    unit: ShortText | None = None
    text: Text | None = None

    @model_validator(mode="after")
    def _has_a_target(self) -> Target:
        if self.text is None and (self.value is None or self.unit is None):
            raise ValueError("a target needs a value and a unit, or a text")
        return self


class SourceKind(StrEnum):
    """What a measured indicator's realisation is filled from (issue 15 section 3): a
    closed set. A count of daily activities "of a kind" is not among them: an activity
    has no kind (only its RHK), and the employee's own log is not a measurement."""

    UNIT_IKM = "ikm_unit"
    """The unit's index of public satisfaction (IKM) over the cycle year (domain.survey)."""
    COMPLAINT_MEDIAN_RESPONSE = "median_respons_pengaduan"
    """The median time, in hours, the unit took to answer the complaints of the year."""
    COMPLAINTS_ON_TIME = "pengaduan_tepat_waktu"
    """The share, in percent, of the year's complaints answered by their deadline."""


class IndicatorSource(Frozen):
    """The measured source an indicator is bound to, instead of a typed realisation."""

    kind: SourceKind
    unit: Key | None = None
    """The service unit measured (a public unit's key, the roster's unit code); None:
    the appraisal's own unit."""


class Indicator(Frozen):
    """Indikator kinerja individu."""

    id: Identifier
    description: Text
    aspect: Aspect
    target: Target
    source: IndicatorSource | None = Field(default=None, exclude_if=lambda v: v is None)
    """Bound to a measured source: its realisation is filled from the data at the
    period's end (``RealisationMeasured``), never typed. Left out of the stored form
    when None: an unbound indicator is stored as before the binding existed."""

    @model_validator(mode="after")
    def _measured_needs_a_number(self) -> Indicator:
        if self.source is not None and self.target.value is None:
            raise ValueError("an indicator filled from data needs a numeric target")
        return self


class Rhk(Frozen):
    """Rencana hasil kerja: one work result with its indicators."""

    id: Identifier
    kind: RhkKind
    description: Text
    supports_rhk: Identifier | None = None
    """Id of the appraiser's RHK this one supports (RHK pimpinan yang diintervensi)."""
    perspective: ShortText | None = None
    """Perspective (JPT only), from the policy's list."""
    indicators: Annotated[tuple[Indicator, ...], Field(min_length=1, max_length=50)]
    weight: Annotated[Decimal, Field(gt=0, le=1000)] | None = None
    """Bobot: the RHK's weight in the suggested work-result rating, only under a policy
    that weighs (``Policy.rhk_weights``; 6/2022 does not). Unweighted RHK count 1."""


class BehaviourExpectation(Frozen):
    value: CoreValue
    leader_expectation: Text | None = None
    """Ekspektasi khusus pimpinan, optional."""


def _seven_values() -> tuple[BehaviourExpectation, ...]:
    return tuple(BehaviourExpectation(value=v) for v in CoreValue)


class Annex(Frozen):
    """Lampiran SKP."""

    resource_support: tuple[Text, ...] = ()
    accountability_scheme: tuple[Text, ...] = ()
    consequences: tuple[Text, ...] = ()


class Skp(Frozen):
    """Sasaran Kinerja Pegawai: the targets agreed for the cycle."""

    approach: Approach
    rhk: Annotated[tuple[Rhk, ...], Field(min_length=1, max_length=100)]
    behaviour: tuple[BehaviourExpectation, ...] = Field(default_factory=_seven_values)
    annex: Annex = Field(default_factory=Annex)

    @model_validator(mode="after")
    def _unique_ids_and_values(self) -> Skp:
        rhk_ids = [r.id for r in self.rhk]
        if len(set(rhk_ids)) != len(rhk_ids):
            raise ValueError("every RHK needs its own id")
        indicator_ids = [i.id for r in self.rhk for i in r.indicators]
        if len(set(indicator_ids)) != len(indicator_ids):
            raise ValueError("every indicator needs its own id across the SKP")
        values = [b.value for b in self.behaviour]
        if sorted(values) != sorted(CoreValue):
            raise ValueError("behaviour lists each of the seven BerAKHLAK values exactly once")
        return self

    def rhk_by_id(self, rhk_id: str) -> Rhk | None:
        return next((r for r in self.rhk if r.id == rhk_id), None)

    def indicator_ids(self) -> set[str]:
        return {i.id for r in self.rhk for i in r.indicators}

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for r in self.rhk for i in r.indicators if i.id == indicator_id), None)

    def bound_indicators(self) -> tuple[Indicator, ...]:
        """The indicators filled from a measured source."""
        return tuple(i for r in self.rhk for i in r.indicators if i.source is not None)


class Evidence(Frozen):
    """Bukti dukung: a link, or the SHA-256 digest of an uploaded file."""

    kind: Literal["link", "file"]
    description: ShortText
    url: Annotated[str, Field(max_length=2000, pattern=r"^https?://"), Clean] | None = None
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None

    @model_validator(mode="after")
    def _matches_kind(self) -> Evidence:
        if self.kind == "link" and self.url is None:
            raise ValueError("link evidence needs a url")
        if self.kind == "file" and self.sha256 is None:
            raise ValueError("file evidence needs the file's sha256 digest")
        return self


PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})-(?:(?P<month>0[1-9]|1[0-2])|Q(?P<quarter>[1-4]))$")


class Realisation(Frozen):
    indicator_id: Identifier
    value: Decimal | None = None
    text: Text | None = None

    @model_validator(mode="after")
    def _has_something(self) -> Realisation:
        if self.value is None and self.text is None:
            raise ValueError("a realisation needs a value or a text")
        return self


class MeasuredRealisation(Frozen):
    """A realisation filled from data: the figure, its source and what it came from."""

    indicator_id: Identifier
    source: IndicatorSource
    unit: Key
    """The unit measured (the source's, or the appraisal's own)."""
    period: Annotated[str, Field(pattern=r"^\d{4}$")]
    """The cycle year measured."""
    value: Annotated[Decimal, Field(ge=0, le=10**12)] | None
    """None: no data in the period (no respondents, no complaints)."""
    figures: dict[Identifier, Annotated[int, Field(ge=0, le=10**12)]]
    """The counts the figure came from (respondents; complaints answered; on time)."""


class ProgressReport(Frozen):
    """Periodic progress: ``period`` is ``YYYY-MM`` (monthly) or ``YYYY-Qn`` (quarterly)."""

    period: Annotated[str, Field(pattern=PERIOD_PATTERN.pattern)]
    realisations: Annotated[tuple[Realisation, ...], Field(min_length=1)]
    evidence: tuple[Evidence, ...] = ()
    notes: Text | None = None

    @field_validator("realisations")
    @classmethod
    def _one_per_indicator(cls, value: tuple[Realisation, ...]) -> tuple[Realisation, ...]:
        ids = [r.indicator_id for r in value]
        if len(set(ids)) != len(ids):
            raise ValueError("one realisation per indicator")
        return value

    @property
    def year(self) -> int:
        return int(self.period[:4])


class DailyActivity(Frozen):
    day: date
    rhk_id: Identifier
    description: Text
    minutes: Annotated[int, Field(ge=1, le=24 * 60)] | None = None
    evidence: tuple[Evidence, ...] = ()


class Feedback(Frozen):
    """Umpan balik: about one RHK, one core value, or the work in general."""

    text: Text
    rhk_id: Identifier | None = None
    value: CoreValue | None = None


class RhkSelfRating(Frozen):
    rhk_id: Identifier
    proposed: Rating
    narrative: Text | None = None


class SelfAssessment(Frozen):
    ratings: Annotated[tuple[RhkSelfRating, ...], Field(min_length=1)]
    narrative: Text


class RhkRating(Frozen):
    rhk_id: Identifier
    rating: Rating
    note: Text | None = None


class ValueRating(Frozen):
    value: CoreValue
    rating: Rating
    note: Text | None = None


class NumericScores(Frozen):
    """PP 30/2019 scores (0 to the policy's maximum)."""

    skp_score: Annotated[Decimal, Field(ge=0)]
    behaviour_score: Annotated[Decimal, Field(ge=0)]
    with_peer_input: bool = False
    innovation: bool = False


class Ratings(Frozen):
    """The appraiser's ratings: per RHK, per core value, and the overall ones.

    ``work_result`` / ``behaviour`` override the suggested overall rating and
    then need a reason. Under the numeric policy, ``numeric`` is required.
    """

    rhk: Annotated[tuple[RhkRating, ...], Field(min_length=1)]
    values: tuple[ValueRating, ...] = ()
    work_result: Rating | None = None
    work_result_reason: Text | None = None
    behaviour: Rating | None = None
    behaviour_reason: Text | None = None
    numeric: NumericScores | None = None
    note: Text | None = None


class ObjectionDecisionOutcome(StrEnum):
    UPHOLD = "uphold"
    CHANGE = "change"
