"""Calibration: a unit's predikat against the distribution curve of its organisation rating.

SE MenPAN-RB 3/2023 (a single secondary source, kept as policy data): every unit gets an
organisation rating, and the share of each predikat among its employees must
follow that rating's curve. The curve is policy data (:class:`CurveRule`
lists); this module only checks it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.ratings import Predikat, Rating


class OrganisationRating(StrEnum):
    """Predikat kinerja organisasi of a unit."""

    ISTIMEWA = "istimewa"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"


class CurveRule(BaseModel):
    """One rule of a curve.

    - ``largest``: the group ``predikat`` is at least as large as every other
      predikat's group (ties allowed);
    - ``at_least_share`` / ``at_most_share`` / ``more_than_share``: the group's
      share of the unit, compared with ``share`` (a fraction, e.g. ``0.6``);
    - ``at_least_count``: the group has at least ``count`` employees.

    A group is the union of the listed predikat.

    "Sebagian besar (maksimal 70%)" in SE MenPAN-RB 3/2023 is read as a majority:
    ``more_than_share`` 0.5 (see ``_CURVE_SE_3_2023`` in :mod:`domain.policy`).
    ``largest`` (a plurality with ties) was the earlier reading; it stays a kind so
    that curves stored with it still read.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["largest", "at_least_share", "at_most_share", "more_than_share",
                  "at_least_count"]
    predikat: tuple[Predikat, ...]
    share: Decimal | None = None
    count: int | None = None

    def describe(self) -> str:
        group = " or ".join(p.label for p in self.predikat)
        if self.kind == "largest":
            return f"{group} is the largest group"
        if self.kind == "at_least_count":
            return f"at least {self.count} {group}"
        percent = f"{(self.share or Decimal(0)) * 100:.0f}%"
        word = {"at_least_share": "at least", "at_most_share": "at most",
                "more_than_share": "more than"}[self.kind]
        return f"{group} {word} {percent}"


class BrokenRule(BaseModel):
    """A curve rule that a unit's distribution breaks, with the figures that break it."""

    model_config = ConfigDict(frozen=True)

    rule: CurveRule
    description: str
    count: int
    total: int
    share: Decimal
    largest_other_count: int | None = None


class CurveCheck(BaseModel):
    """Result of checking one unit: passes when nothing is broken."""

    model_config = ConfigDict(frozen=True)

    organisation_rating: OrganisationRating
    total: int
    counts: dict[Predikat, int]
    broken: tuple[BrokenRule, ...]
    curve_applies: bool = True
    """False when the policy has no curve: nothing was checked and the unit passes."""

    @property
    def passed(self) -> bool:
        return not self.broken


Curve = Mapping[OrganisationRating, tuple[CurveRule, ...]]


def check_distribution(
    organisation_rating: OrganisationRating,
    predikat: Iterable[Predikat],
    curve: Curve | None,
) -> CurveCheck:
    """Check a unit's predikat against the curve for its organisation rating.

    ``curve=None`` (a policy without a curve, PP 30/2019) checks nothing: the unit
    passes and the result says the curve did not apply.
    """
    counts = Counter(predikat)
    total = sum(counts.values())
    broken: list[BrokenRule] = []
    rules = () if curve is None else curve[organisation_rating]
    for rule in rules:
        group_count = sum(counts[p] for p in rule.predikat)
        share = Decimal(group_count) / Decimal(total) if total else Decimal(0)
        largest_other: int | None = None
        if rule.kind == "largest":
            others = [n for p, n in counts.items() if p not in rule.predikat]
            largest_other = max(others, default=0)
            ok = group_count >= largest_other and group_count > 0
        elif rule.kind == "at_least_share":
            ok = rule.share is not None and share >= rule.share
        elif rule.kind == "at_most_share":
            ok = rule.share is not None and share <= rule.share
        elif rule.kind == "more_than_share":
            ok = rule.share is not None and share > rule.share
        else:
            ok = rule.count is not None and group_count >= rule.count
        if total and not ok:
            broken.append(
                BrokenRule(
                    rule=rule,
                    description=rule.describe(),
                    count=group_count,
                    total=total,
                    share=share.quantize(Decimal("0.0001")),
                    largest_other_count=largest_other,
                )
            )
    return CurveCheck(
        organisation_rating=organisation_rating,
        total=total,
        counts={p: counts[p] for p in Predikat if counts[p]},
        broken=tuple(broken),
        curve_applies=curve is not None,
    )


def leader_work_result_rating(
    organisation_rating: OrganisationRating,
    mapping: Mapping[OrganisationRating, Rating],
) -> Rating:
    """The work-result rating a unit's leader takes from the unit's organisation rating."""
    return mapping[organisation_rating]
