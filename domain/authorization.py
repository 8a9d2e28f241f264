"""Who may do what to which appraisal: one pure function, checked on every route.

Roles come from the token (employee, HR performance manager, inspector, and
the system itself for timers). Appraiser, appraiser's superior and peer are not
roles but *relations* of the caller to one appraisal, derived from its parties.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.text import Key


class Role(StrEnum):
    EMPLOYEE = "employee"
    HR = "hr"
    """Pengelola kinerja, for the agencies in scope."""
    INSPECTOR = "inspector"
    """Inspektorat / auditor, read-only, for the agencies in scope."""
    SYSTEM = "system"
    """Deadlines and the cycle's own steps; never a person."""
    OPERATOR = "operator"
    """Runs the service: may read Temporal's payloads in clear (the codec endpoint); no
    relation to any appraisal."""


class Relation(StrEnum):
    """What the caller is to one appraisal."""

    SELF = "self"
    APPRAISER = "appraiser"
    SUPERIOR = "superior"
    PEER = "peer"
    HR = "hr"
    INSPECTOR = "inspector"
    SYSTEM = "system"


class Actor(BaseModel):
    """The caller: an employee key (never a NIP), roles, and the agencies in scope."""

    model_config = ConfigDict(frozen=True)

    subject: str = Field(min_length=1, max_length=128)
    roles: frozenset[Role]
    agencies: frozenset[str] = frozenset()
    """Agencies an HR manager or inspector works on; ``*`` is every agency."""
    agency: str | None = None
    """The caller's own agency (peers must share it)."""
    unit: str | None = None
    """The caller's own unit (peers must share it)."""

    def in_scope(self, agency: str) -> bool:
        return "*" in self.agencies or agency in self.agencies

    def is_person(self, agency: str, key: str | None) -> bool:
        """Whether the caller is employee ``key`` of ``agency``: keys are numbered per
        agency, so the key alone never identifies a person."""
        return key is not None and self.agency == agency and self.subject == key

    def log_metadata(self) -> dict[str, object]:
        """Who acted, as the event log records it: the key with its agency (unambiguous
        across agencies) and the roles."""
        return {"actor": self.subject, "actor_agency": self.agency,
                "roles": sorted(role.value for role in self.roles)}


SYSTEM_ACTOR = Actor(subject="system", roles=frozenset({Role.SYSTEM}))


class Parties(BaseModel):
    """Who an appraisal belongs to: fixed when it opens (reassignment records a change)."""

    model_config = ConfigDict(frozen=True)

    agency: Key
    unit: Key
    employee: Key
    appraiser: Key | None
    """None for the top of an agency; HR then acts as appraiser of record."""
    superior: Key | None


class Action(StrEnum):
    READ = "read"
    OPEN = "open"
    DRAFT_TARGETS = "draft_targets"
    SUBMIT_TARGETS = "submit_targets"
    RETURN_TARGETS = "return_targets"
    APPROVE_TARGETS = "approve_targets"
    SET_TARGETS = "set_targets"
    REPORT_PROGRESS = "report_progress"
    LOG_ACTIVITY = "log_activity"
    GIVE_FEEDBACK = "give_feedback"
    SUBMIT_SELF_ASSESSMENT = "submit_self_assessment"
    SUBMIT_REVIEW = "submit_review"
    REVIEW_PERIOD = "review_period"
    """The appraiser's periodic review (domain.appraisal.periodic)."""
    PASS_PERIOD_DEADLINE = "pass_period_deadline"
    EXTEND_PERIOD_DEADLINE = "extend_period_deadline"
    """HR moves a period's review deadline (domain.appraisal.periodic)."""
    RECORD_ORGANISATION_RATING = "record_organisation_rating"
    RELEASE = "release"
    ACCEPT_RESULT = "accept_result"
    FILE_OBJECTION = "file_objection"
    REQUEST_EXPLANATIONS = "request_explanations"
    GIVE_EXPLANATION = "give_explanation"
    DECIDE_OBJECTION = "decide_objection"
    EXTEND_DEADLINE = "extend_deadline"
    PASS_DEADLINE = "pass_deadline"
    CANCEL = "cancel"
    REASSIGN = "reassign"
    ATTACH_EVIDENCE = "attach_evidence"
    """Upload an evidence file for a progress report or an activity (domain.evidence)."""
    RECORD_MEASUREMENTS = "record_measurements"
    """Fill bound indicators' realisations from data (the system, at the period's end)."""


_R = Relation
ALLOWED: dict[Action, frozenset[Relation]] = {
    Action.READ: frozenset({_R.SELF, _R.APPRAISER, _R.SUPERIOR, _R.HR, _R.INSPECTOR, _R.SYSTEM}),
    Action.OPEN: frozenset({_R.HR, _R.SYSTEM}),
    Action.DRAFT_TARGETS: frozenset({_R.SELF}),
    Action.SUBMIT_TARGETS: frozenset({_R.SELF}),
    Action.RETURN_TARGETS: frozenset({_R.APPRAISER}),
    Action.APPROVE_TARGETS: frozenset({_R.APPRAISER}),
    Action.SET_TARGETS: frozenset({_R.HR}),
    Action.REPORT_PROGRESS: frozenset({_R.SELF}),
    Action.LOG_ACTIVITY: frozenset({_R.SELF}),
    Action.GIVE_FEEDBACK: frozenset({_R.APPRAISER, _R.PEER}),
    Action.SUBMIT_SELF_ASSESSMENT: frozenset({_R.SELF}),
    Action.SUBMIT_REVIEW: frozenset({_R.APPRAISER, _R.SUPERIOR}),
    # The superior only once the review deadline has passed (domain.appraisal).
    Action.REVIEW_PERIOD: frozenset({_R.APPRAISER}),
    Action.PASS_PERIOD_DEADLINE: frozenset({_R.SYSTEM}),
    Action.EXTEND_PERIOD_DEADLINE: frozenset({_R.HR}),
    Action.RECORD_ORGANISATION_RATING: frozenset({_R.HR, _R.SYSTEM}),
    Action.RELEASE: frozenset({_R.HR, _R.SYSTEM}),
    Action.ACCEPT_RESULT: frozenset({_R.SELF}),
    Action.FILE_OBJECTION: frozenset({_R.SELF}),
    Action.REQUEST_EXPLANATIONS: frozenset({_R.SUPERIOR}),
    Action.GIVE_EXPLANATION: frozenset({_R.SELF, _R.APPRAISER}),
    Action.DECIDE_OBJECTION: frozenset({_R.SUPERIOR}),
    Action.EXTEND_DEADLINE: frozenset({_R.HR, _R.SYSTEM}),
    Action.PASS_DEADLINE: frozenset({_R.SYSTEM}),
    Action.CANCEL: frozenset({_R.HR, _R.SYSTEM}),
    Action.REASSIGN: frozenset({_R.HR, _R.SYSTEM}),
    Action.ATTACH_EVIDENCE: frozenset({_R.SELF}),
    Action.RECORD_MEASUREMENTS: frozenset({_R.SYSTEM}),
}
"""Which relations may take each action. Phase rules come on top (domain.appraisal)."""


def relations(actor: Actor, parties: Parties) -> frozenset[Relation]:
    """Every relation ``actor`` has to the appraisal of ``parties``."""
    found: set[Relation] = set()
    roles = actor.roles
    if Role.SYSTEM in roles:
        found.add(Relation.SYSTEM)
    if Role.HR in roles and actor.in_scope(parties.agency):
        found.add(Relation.HR)
        # The top of an agency has no appraiser (or no appraiser's superior) inside it:
        # HR of the agency acts as that party of record.
        # Never their own appraiser: the same key counts as the same person unless the
        # token names another agency (refusing is the safe side of a doubt).
        is_employee = actor.subject == parties.employee and actor.agency in (None, parties.agency)
        if parties.appraiser is None and not is_employee:
            found.add(Relation.APPRAISER)
        if parties.superior is None and not is_employee:
            found.add(Relation.SUPERIOR)
    if Role.INSPECTOR in roles and actor.in_scope(parties.agency):
        found.add(Relation.INSPECTOR)
    # Employee keys are numbered per agency (``e-0004`` exists in many): a personal
    # relation holds only within the caller's own agency, and never for a token
    # that names no agency.
    if Role.EMPLOYEE in roles and actor.agency is not None and actor.agency == parties.agency:
        if actor.subject == parties.employee:
            found.add(Relation.SELF)
        elif actor.subject == parties.appraiser:
            found.add(Relation.APPRAISER)
        elif actor.subject == parties.superior:
            found.add(Relation.SUPERIOR)
        elif actor.unit == parties.unit:
            found.add(Relation.PEER)
    return frozenset(found)


def acting_relation(actor: Actor, action: Action, parties: Parties) -> Relation | None:
    """The relation under which ``actor`` may take ``action``, or None when it may not.

    When several relations allow it, the most personal one wins (an HR manager
    drafting their own SKP acts as the employee, not as HR).
    """
    allowed = ALLOWED[action] & relations(actor, parties)
    for relation in Relation:
        if relation in allowed:
            return relation
    return None


def may(actor: Actor, action: Action, parties: Parties) -> bool:
    """True when ``actor`` may take ``action`` on the appraisal of ``parties``."""
    return acting_relation(actor, action, parties) is not None


def may_read(actor: Actor, parties: Parties) -> bool:
    """Reading: employees their own, appraisers their reports, superiors their reports'
    reports, HR their agency, inspectors their scope."""
    return may(actor, Action.READ, parties)


class ReadScope(BaseModel):
    """The appraisals an actor may list, in a form a query can apply.

    Visible: those of ``subject_agency`` where ``subject`` is the employee, the
    appraiser or the superior; and every appraisal of ``agencies`` (all when
    ``all_agencies``). The same rule as :func:`may_read`, for lists.
    """

    model_config = ConfigDict(frozen=True)

    subject: str | None
    subject_agency: str | None = None
    agencies: frozenset[str]
    all_agencies: bool


def read_scope(actor: Actor) -> ReadScope:
    """What ``actor`` may list (see :class:`ReadScope`)."""
    wide = actor.roles & {Role.HR, Role.INSPECTOR, Role.SYSTEM}
    agencies = actor.agencies if wide else frozenset()
    personal = Role.EMPLOYEE in actor.roles and actor.agency is not None
    return ReadScope(
        subject=actor.subject if personal else None,
        subject_agency=actor.agency if personal else None,
        agencies=frozenset(a for a in agencies if a != "*"),
        all_agencies=Role.SYSTEM in actor.roles or (bool(wide) and "*" in actor.agencies),
    )


def is_inspector(actor: Actor) -> bool:
    """Whether ``actor`` holds the inspector role (the audit routes need it)."""
    return Role.INSPECTOR in actor.roles


def may_inspect(actor: Actor, agency: str) -> bool:
    """Inspectors read trails, replay states and export bundles of agencies in scope."""
    return is_inspector(actor) and actor.in_scope(agency)


def may_verify_all(actor: Actor) -> bool:
    """The whole log spans every agency: only an inspector of all of them verifies it."""
    return is_inspector(actor) and "*" in actor.agencies


def may_decode_payloads(actor: Actor) -> bool:
    """Only an operator sees Temporal's payloads (names, free text) in clear."""
    return Role.OPERATOR in actor.roles


def may_read_access_log(actor: Actor, agency: str) -> bool:
    """Who read whose trail in ``agency``: its inspectors and its HR managers."""
    return bool(actor.roles & {Role.INSPECTOR, Role.HR}) and actor.in_scope(agency)


class AgencyAction(StrEnum):
    """What a caller may do to an agency as a whole (not to one appraisal)."""

    IMPORT_ROSTER = "import_roster"
    READ_ROSTER = "read_roster"
    RUN_CYCLE = "run_cycle"
    """Create, start, move deadlines, calibrate, release, close (the system too)."""
    READ_CYCLE = "read_cycle"
    """A cycle's state, progress, calibration and results."""


AGENCY_ALLOWED: dict[AgencyAction, frozenset[Role]] = {
    AgencyAction.IMPORT_ROSTER: frozenset({Role.HR}),
    AgencyAction.READ_ROSTER: frozenset({Role.HR}),
    AgencyAction.RUN_CYCLE: frozenset({Role.HR}),
    AgencyAction.READ_CYCLE: frozenset({Role.HR, Role.INSPECTOR}),
}
"""Which roles may take each agency action, for the agencies in their scope."""


def may_on_agency(actor: Actor, action: AgencyAction, agency: str) -> bool:
    """True when ``actor`` has a role allowed ``action`` and ``agency`` is in their scope."""
    return bool(actor.roles & AGENCY_ALLOWED[action]) and actor.in_scope(agency)


def has_agency_role(actor: Actor, action: AgencyAction) -> bool:
    """True when ``actor`` has a role that may take ``action`` on some agency (an API
    answers 403 without it, 404 for an agency outside the scope)."""
    return bool(actor.roles & AGENCY_ALLOWED[action])
