"""Indicators filled from data (issue 15 section 3): the system records, at the period's
end, the realisation of each indicator bound to a measured source, with the figures it
came from. The employee never types one (:mod:`.self_report` refuses it); the appraiser
rates, seeing it."""

from __future__ import annotations

from domain.appraisal.commands import RecordMeasurements
from domain.appraisal.events import Event, RealisationMeasured
from domain.appraisal.registry import Context, _require_phase, _skp, handles
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import CommandRefused, Phase
from domain.authorization import Action


def measured_unit(state: AppraisalState, indicator_id: str) -> str | None:
    """The unit an indicator's source measures: the source's own, or the appraisal's."""
    indicator = _skp(state).indicator(indicator_id) if state.skp else None
    if indicator is None or indicator.source is None or state.parties is None:
        return None
    return indicator.source.unit or state.parties.unit


@handles(RecordMeasurements, Action.RECORD_MEASUREMENTS)
def _record_measurements(state: AppraisalState, command: RecordMeasurements, ctx: Context
                         ) -> list[Event]:
    _require_phase(state, Phase.SELF_REPORT, Phase.REVIEW, doing="record measured realisations")
    assert state.calendar is not None
    seen: set[str] = set()
    for i, measured in enumerate(command.measurements):
        field = f"measurements[{i}]"
        indicator = _skp(state).indicator(measured.indicator_id)
        if indicator is None or indicator.source is None:
            raise CommandRefused("invalid", "no indicator bound to a source with this id",
                                 f"{field}.indicator_id")
        if measured.indicator_id in seen:
            raise CommandRefused("invalid", "one measurement per indicator",
                                 f"{field}.indicator_id")
        seen.add(measured.indicator_id)
        if measured.source.kind is not indicator.source.kind \
                or measured.unit != measured_unit(state, measured.indicator_id):
            raise CommandRefused("invalid", "the measurement is not of the indicator's source",
                                 f"{field}.source")
        if measured.period != str(state.calendar.year):
            raise CommandRefused(
                "invalid", f"the period measured must be the cycle year {state.calendar.year}",
                f"{field}.period")
        before = state.measured.get(measured.indicator_id)
        if before is not None and before.period == measured.period:
            raise CommandRefused("phase", f"this indicator was measured for {measured.period}"
                                          " already", f"{field}.indicator_id")
    return [RealisationMeasured(at=ctx.at, measurement=m) for m in command.measurements]
