"""The agency roster: who works where, in which position, reporting to whom.

HR imports the whole roster of an agency from a file (CSV or XLSX, read by
``adapters.roster_files``) as :class:`RosterRow` values. :func:`validate_roster`
checks every row and the organisation they form, and returns the accepted
employees with each rejected row's line number, field and reason.
:func:`diff_roster` turns the change from the current roster to the new one into
events of the agency's roster stream (``roster-<agency>``), and
:func:`fold` folds them back, so ``fold(diff(a, b), a) == b``.
A cycle freezes the roster and takes each appraisal's parties from
:func:`reporting_line`.

Employee keys. A NIP is personal data and never appears in a Temporal
workflow id (docs/architecture.md), so every employee has an opaque key such as
``e-0042``. HR may assign it in the file (column ``kode_pegawai``); otherwise a
NIP seen before keeps its key (``known_keys``, kept by the store for every NIP
ever imported for the agency), and a new NIP gets the next free ``e-NNNN``
number. Keys carry nothing about the person (no hash of the NIP, which a
guess over birth dates could invert) and never change for a NIP.

The file is the whole roster: an employee of the current roster absent from
the new file has left.

The package has one module per part: :mod:`.vocabulary`, :mod:`.state` (rows
and the validated roster), :mod:`.validation`, :mod:`.reporting`,
:mod:`.events`, :mod:`.decide` (:func:`diff_roster`, :func:`merge_partial`)
and :mod:`.evolve` (:func:`evolve`, :func:`fold`). The names below are
re-exported.
"""

from domain.appraisal.vocabulary import PositionKind
from domain.policy import FunctionalLevel
from domain.roster.decide import (
    PartialApplyRefused,
    changed_keys,
    diff_roster,
    merge_partial,
)
from domain.roster.events import (
    EVENT_SCHEMA_VERSION,
    DetailsChanged,
    EmployeeHired,
    EmployeeLeft,
    EmployeeTransferred,
    PositionChanged,
    RosterEvent,
    SuperiorChanged,
    UnitDefined,
    UnitRemoved,
    event_data,
    event_from_data,
)
from domain.roster.evolve import (
    evolve,
    fold,
)
from domain.roster.reporting import (
    ReportingLine,
    parties_for,
    reporting_line,
)
from domain.roster.state import (
    Employee,
    RejectedRow,
    Roster,
    RosterCheck,
    RosterRow,
    UncheckedNip,
    Unit,
    roster_document,
)
from domain.roster.validation import (
    TEXT_FIELDS,
    control_character,
    parse_employment,
    parse_kind,
    parse_level,
    validate_roster,
)
from domain.roster.vocabulary import (
    EMPLOYEE_KEY_PATTERN,
    KEY_PREFIX,
    LEADER_KINDS,
    UNIT_CODE_PATTERN,
    EmploymentType,
)

__all__ = [
    "EMPLOYEE_KEY_PATTERN",
    "EVENT_SCHEMA_VERSION",
    "KEY_PREFIX",
    "LEADER_KINDS",
    "TEXT_FIELDS",
    "UNIT_CODE_PATTERN",
    "DetailsChanged",
    "Employee",
    "EmployeeHired",
    "EmployeeLeft",
    "EmployeeTransferred",
    "EmploymentType",
    "FunctionalLevel",
    "PartialApplyRefused",
    "PositionChanged",
    "PositionKind",
    "RejectedRow",
    "ReportingLine",
    "Roster",
    "RosterCheck",
    "RosterEvent",
    "RosterRow",
    "SuperiorChanged",
    "UncheckedNip",
    "Unit",
    "UnitDefined",
    "UnitRemoved",
    "changed_keys",
    "control_character",
    "diff_roster",
    "event_data",
    "event_from_data",
    "evolve",
    "fold",
    "merge_partial",
    "parse_employment",
    "parse_kind",
    "parse_level",
    "parties_for",
    "reporting_line",
    "roster_document",
    "validate_roster",
]
