"""An agency's yearly cycle: ``decide(state, command) -> events`` and ``evolve(state, event)``.

HR creates a cycle for an agency and year with a policy and a calendar, then
starts it: the roster is frozen (its digest recorded) and one appraisal is
opened per member, page by page. While it runs, HR moves deadlines for the
whole cycle or one unit, sets each unit's organisation rating, and releases a
unit once its predikat pass the distribution curve (or with a justified
exception). The cycle closes when every appraisal is final or cancelled.

Work that reaches many appraisals (opening them, moving a deadline, releasing
a unit) is recorded here as *pending work*, done by the workflow in pages and
recorded page by page, so that a restarted worker resumes where it stopped.

The package has one module per part: :mod:`.vocabulary`, :mod:`.membership`,
:mod:`.commands`, :mod:`.work` (pending work), :mod:`.events`, :mod:`.state`,
:mod:`.registry` (the one table of command kinds), :mod:`.decide` and
:mod:`.evolve` (with :func:`fold`). The names below are re-exported.
"""

from domain.cycle.commands import (
    CloseCycle,
    CreateCycle,
    CycleCommand,
    FollowRoster,
    MoveDeadline,
    RecordPage,
    ReleaseUnit,
    SetOrganisationRating,
    StartCycle,
    parse_command,
)
from domain.cycle.decide import decide
from domain.cycle.events import (
    CycleClosed,
    CycleCreated,
    CycleDeadlineMoved,
    CycleEvent,
    CycleStarted,
    OrganisationRatingSet,
    PageDone,
    RosterFollowed,
    UnitReleased,
    event_data,
    event_from_data,
)
from domain.cycle.evolve import (
    evolve,
    fold,
)
from domain.cycle.membership import (
    CycleMember,
    MembershipChange,
    OpenAppraisalOf,
    cycle_members,
    membership_changes,
    roster_digest,
)
from domain.cycle.registry import (
    COMMANDS,
    CommandSpec,
    Gate,
)
from domain.cycle.state import (
    CycleState,
    UnitState,
    calendar_for,
    count_by_predikat,
)
from domain.cycle.vocabulary import (
    AGENCY_PATTERN,
    PAGE_SIZE,
    CycleStatus,
    cycle_id_of,
)
from domain.cycle.work import (
    ApplyMembershipChanges,
    BroadcastDeadline,
    BroadcastRating,
    BroadcastRelease,
    OpenAppraisals,
    PendingWork,
    Work,
)

__all__ = [
    "AGENCY_PATTERN",
    "COMMANDS",
    "PAGE_SIZE",
    "ApplyMembershipChanges",
    "BroadcastDeadline",
    "BroadcastRating",
    "BroadcastRelease",
    "CloseCycle",
    "CommandSpec",
    "CreateCycle",
    "CycleClosed",
    "CycleCommand",
    "CycleCreated",
    "CycleDeadlineMoved",
    "CycleEvent",
    "CycleMember",
    "CycleStarted",
    "CycleState",
    "CycleStatus",
    "FollowRoster",
    "Gate",
    "MembershipChange",
    "MoveDeadline",
    "OpenAppraisalOf",
    "OpenAppraisals",
    "OrganisationRatingSet",
    "PageDone",
    "PendingWork",
    "RecordPage",
    "ReleaseUnit",
    "RosterFollowed",
    "SetOrganisationRating",
    "StartCycle",
    "UnitReleased",
    "UnitState",
    "Work",
    "calendar_for",
    "count_by_predikat",
    "cycle_id_of",
    "cycle_members",
    "decide",
    "event_data",
    "event_from_data",
    "evolve",
    "fold",
    "membership_changes",
    "parse_command",
    "roster_digest",
]
