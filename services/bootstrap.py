"""The one place Kinerja is wired: from a connection pool and a Temporal client to the
use cases every door calls (the HTTP API builds it once in ``create_app``, the CLI once
per command, tests and benches the same way)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import asyncpg
from temporalio.client import Client

from services.appraisals import AppraisalService
from services.complaints import ComplaintService
from services.cycles import CycleService
from services.documents import DocumentService
from services.evidence import DEFAULT_MAX_BYTES, EvidenceService
from services.indicator_health import IndicatorHealthService
from services.inspection import InspectionService
from services.notifications import NotificationService
from services.public import PublicVoiceService
from services.roster import RosterService
from services.settings import AgencySettingsService
from services.staff_survey import StaffSurveyService
from store.appraisals import AppraisalReadModel
from store.audit import Auditor
from store.complaints import ComplaintStore
from store.cycles import CycleStore
from store.event_log import EventLog
from store.evidence import EvidenceStore
from store.indicator_health import IndicatorHealthStore
from store.notifications import Inbox
from store.public import PublicStore
from store.roster import RosterStore
from store.roster_uploads import RosterUploads
from store.settings import SettingsStore
from store.staff_survey import StaffSurveyStore
from workflows.appraisal.client import AppraisalClient
from workflows.complaint.client import ComplaintClient
from workflows.cycle.client import CycleClient
from workflows.document_zip.client import DocumentZipClient
from workflows.indicators.client import IndicatorsClient
from workflows.roster_apply.client import RosterApplyClient


@dataclass(frozen=True)
class Kinerja:
    """The use cases, and the stores the reads go to."""

    pool: asyncpg.Pool
    event_log: EventLog
    read_model: AppraisalReadModel
    auditor: Auditor
    appraisals: AppraisalService
    cycles: CycleService
    roster: RosterService
    evidence: EvidenceService
    documents: DocumentService
    inspection: InspectionService
    notifications: NotificationService
    public: PublicVoiceService
    """The public's satisfaction survey per service unit."""
    complaints: ComplaintService
    """Complaints and suggestions about a unit's service."""
    indicator_health: IndicatorHealthService
    """Which indicators people meet, exceed or miss (the periodic review of indicators)."""
    settings: AgencySettingsService
    """An agency's settings (HR addresses, zone, complaint response days)."""
    staff_survey: StaffSurveyService
    """The staff's anonymous survey of the appraisal system at a cycle's close."""


def bootstrap(pool: asyncpg.Pool, temporal: Client, task_queue: str, *,
              public_key: bytes | None = None, checkpoint_log: Path | None = None,
              unsealed_warning_seconds: float = 60.0,
              evidence_max_bytes: int = DEFAULT_MAX_BYTES,
              staff_survey_secret: str | None = None,
              document_zip_dir: Path | None = None) -> Kinerja:
    """Everything over ``pool`` and ``temporal``. ``staff_survey_secret`` signs the staff
    survey's tokens (the pages' session secret; without it no token is issued)."""
    event_log = EventLog(pool)
    read_model = AppraisalReadModel(pool)
    cycle_store = CycleStore(pool)
    evidence = EvidenceStore(pool)
    settings = AgencySettingsService(SettingsStore(pool, event_log))
    cycles = CycleService(cycle_store, CycleClient(temporal, task_queue), settings,
                          indicators=IndicatorsClient(temporal, task_queue))
    auditor = Auditor(pool, public_key=public_key, checkpoint_log=checkpoint_log,
                      unsealed_warning_seconds=unsealed_warning_seconds)
    return Kinerja(
        pool=pool, event_log=event_log, read_model=read_model, auditor=auditor,
        appraisals=AppraisalService(read_model, event_log,
                                    AppraisalClient(temporal, task_queue), cycle_store,
                                    evidence),
        cycles=cycles,
        roster=RosterService(RosterStore(pool, event_log), cycles, RosterUploads(pool),
                             RosterApplyClient(temporal, task_queue)),
        evidence=EvidenceService(read_model, event_log, evidence, evidence_max_bytes),
        documents=DocumentService(pool, read_model, event_log, public_key=public_key,
                                  zips=DocumentZipClient(temporal, task_queue),
                                  zip_dir=document_zip_dir or Path(".data") / "zips"),
        inspection=InspectionService(read_model, event_log, auditor),
        notifications=NotificationService(Inbox(pool)),
        public=PublicVoiceService(PublicStore(pool)),
        complaints=ComplaintService(ComplaintStore(pool, event_log), PublicStore(pool),
                                    ComplaintClient(temporal, task_queue), settings),
        indicator_health=IndicatorHealthService(IndicatorHealthStore(pool)),
        settings=settings,
        staff_survey=StaffSurveyService(StaffSurveyStore(pool), staff_survey_secret),
    )


def roster_service(pool: asyncpg.Pool, temporal: Client | None, task_queue: str
                   ) -> RosterService:
    """The roster's use cases alone, for a command that may run without Temporal (an
    import still applies; running cycles are then not asked to follow)."""
    cycles = CycleService(CycleStore(pool), CycleClient(temporal, task_queue)) \
        if temporal is not None else None
    return RosterService(RosterStore(pool, EventLog(pool)), cycles)
