"""Rating levels, predikat, and the rules that turn ratings into a predikat.

PermenPAN-RB 6/2022: each work result (RHK) and the work behaviour are rated
on three levels; the two overall ratings give the predikat through the
policy's matrix. PP 30/2019, the older numeric scheme, is here too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum


class Rating(StrEnum):
    """Rating against expectation (di atas / sesuai / di bawah ekspektasi)."""

    ABOVE = "above"
    MEETS = "meets"
    BELOW = "below"

    @property
    def label(self) -> str:
        return _RATING_LABELS[self]


_RATING_LABELS = {
    Rating.ABOVE: "Di Atas Ekspektasi",
    Rating.MEETS: "Sesuai Ekspektasi",
    Rating.BELOW: "Di Bawah Ekspektasi",
}


class Predikat(StrEnum):
    """Predikat kinerja pegawai. ``CUKUP`` exists only under PP 30/2019."""

    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    CUKUP = "cukup"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").title()


PredikatMatrix = Mapping[Rating, Mapping[Rating, Predikat]]
"""``matrix[work_result_rating][behaviour_rating]``."""


def predikat_from_matrix(
    matrix: PredikatMatrix, work_result: Rating, behaviour: Rating
) -> Predikat:
    """The predikat for a work-result rating and a behaviour rating."""
    return matrix[work_result][behaviour]


def suggest_overall_rating(
    ratings: Iterable[tuple[Rating, bool]], small_share_below: Decimal
) -> Rating:
    """Suggested overall rating from ``(rating, is_main)`` pairs.

    - above: more than half are above, and no main one is below;
    - meets: more than half are at or above expectation, and the main ones
      below are at most ``small_share_below`` of the main ones;
    - below: otherwise (and when there is nothing to rate).

    The appraiser may override the suggestion with a reason. Every pair weighs 1: the
    same as :func:`suggest_weighted_rating` with equal weights.
    """
    return suggest_weighted_rating(
        ((rating, is_main, Decimal(1)) for rating, is_main in ratings), small_share_below)


def suggest_weighted_rating(
    ratings: Iterable[tuple[Rating, bool, Decimal]], small_share_below: Decimal
) -> Rating:
    """:func:`suggest_overall_rating` with a weight (> 0) for each ``(rating, is_main,
    weight)``: "more than half" and "share of the main ones" count weights, not RHK.

    Weights are Kinerja's option for agencies that weigh RHK by job
    (``Policy.rhk_weights``); 6/2022 does not weigh, and with equal weights the result
    is the unweighted one.
    """
    triples = list(ratings)
    if not triples:
        return Rating.BELOW
    total = sum((weight for _, _, weight in triples), Decimal(0))
    above = sum((w for rating, _, w in triples if rating is Rating.ABOVE), Decimal(0))
    at_least_meets = sum((w for rating, _, w in triples if rating is not Rating.BELOW),
                         Decimal(0))
    main = sum((w for _, is_main, w in triples if is_main), Decimal(0))
    main_below = sum((w for rating, is_main, w in triples
                      if is_main and rating is Rating.BELOW), Decimal(0))
    if 2 * above > total and main_below == 0:
        return Rating.ABOVE
    small_enough = main_below == 0 or (main > 0 and main_below / main <= small_share_below)
    if 2 * at_least_meets > total and small_enough:
        return Rating.MEETS
    return Rating.BELOW


def suggest_behaviour_rating(values: Iterable[Rating], below_from: int) -> Rating:
    """Suggested behaviour rating from the ratings of the seven BerAKHLAK values.

    No source: 6/2022 leaves the overall behaviour rating to the appraiser. This is
    Kinerja's suggestion, which the appraiser may override with a reason:

    - below: ``below_from`` values or more are below expectation
      (``Policy.behaviour_below_from``, 2 in the built-in policies);
    - above: more than half are above, and none is below;
    - meets: otherwise (and when there is nothing to rate: below).

    With ``below_from=2`` and seven values this is what :func:`suggest_overall_rating`
    gave with every value main and ``small_share_below=0.25``, the rule used before it
    was written down; reviews already recorded keep their suggestion.
    """
    ratings = list(values)
    if not ratings:
        return Rating.BELOW
    below = sum(1 for rating in ratings if rating is Rating.BELOW)
    above = sum(1 for rating in ratings if rating is Rating.ABOVE)
    if below >= below_from:
        return Rating.BELOW
    if 2 * above > len(ratings) and below == 0:
        return Rating.ABOVE
    return Rating.MEETS


def numeric_score(
    skp_score: Decimal,
    behaviour_score: Decimal,
    *,
    skp_weight: Decimal,
    behaviour_weight: Decimal,
) -> Decimal:
    """PP 30/2019 final score: weighted sum of the SKP and behaviour scores."""
    return (skp_score * skp_weight + behaviour_score * behaviour_weight).quantize(Decimal("0.01"))


def numeric_predikat(
    score: Decimal,
    *,
    innovation: bool,
    bands: Iterable[tuple[Decimal, Predikat]],
    top_band_needs_innovation_from: Decimal,
) -> Predikat:
    """The PP 30/2019 predikat of a score.

    ``bands`` are ``(lower bound, predikat)`` pairs, highest first; a score
    at or above ``top_band_needs_innovation_from`` is Sangat Baik only with
    an innovation, otherwise Baik.
    """
    if score >= top_band_needs_innovation_from:
        return Predikat.SANGAT_BAIK if innovation else Predikat.BAIK
    for lower_bound, predikat in bands:
        if score >= lower_bound:
            return predikat
    return Predikat.SANGAT_KURANG
