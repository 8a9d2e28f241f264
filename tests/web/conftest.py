"""Fixtures of the page tests: the application (pages and API) served by uvicorn on a free
port in the test's event loop, over a real PostgreSQL and a real Temporal worker, and
Debian's chromium driven by Playwright (which cannot download its own browser here).

The chromium used: ``KINERJA_CHROMIUM`` when set, else ``chromium`` on PATH; missing,
the tests fail and say what to install (``make test`` installs it when run as root).
Screenshots go to ``.artifacts/web/`` (gitignored).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from temporalio.testing import WorkflowEnvironment

from activities.roster_apply import BatchHook
from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier
from api.inspection import AuditSettings
from domain.appraisal import OpenAppraisal, PositionKind
from domain.authorization import Actor, Parties, Role
from domain.policy import POLICY_6_2022, FunctionalLevel, default_calendar
from kinerja.demo import PEOPLE
from kinerja.worker import running_worker
from services.appraisals import AppraisalService
from web import DevPerson, WebSettings
from web.oidc import OidcSettings
from workflows.appraisal.contract import workflow_id

ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts" / "web"
TOKENS = TokenSettings(secret="test-secret-" + "x" * 32)
UNIT = "diskominfo"
SESSION_SECRET = "web-test-session-secret-" + "y" * 32


def chromium_path() -> str:
    path = os.environ.get("KINERJA_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Debian's chromium is needed for the page tests: "
                    "apt-get install -y chromium (make test does it as root), "
                    "or set KINERJA_CHROMIUM to a chromium binary")
    return path


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            yield launched
        finally:
            await launched.close()


def _free_port() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class Site:
    """The served application, its demo people (this test's own agency) and the demo
    appraisal."""

    url: str
    agency: str
    appraisal_id: str
    people: dict[str, DevPerson]
    pool: asyncpg.Pool
    browser: Browser
    settings: WebSettings
    appraisals: AppraisalService
    """The use cases, to bring the appraisal to a phase without the pages."""

    def actor(self, who: str) -> Actor:
        person = self.people[who]
        return Actor(subject=person.key, roles=frozenset(Role(r) for r in person.roles),
                     agency=person.agency, unit=person.unit,
                     agencies=frozenset(person.agencies))

    async def context(self, *, phone: bool = False, lang: str | None = None,
                      javascript: bool = True) -> BrowserContext:
        options: dict[str, object] = {"base_url": self.url,
                                      "java_script_enabled": javascript}
        if phone:
            options.update(viewport={"width": 390, "height": 844}, is_mobile=True,
                           has_touch=True, device_scale_factor=2)
        context = await self.browser.new_context(**options)  # type: ignore[arg-type]
        context.set_default_timeout(20_000)
        if lang:
            await context.add_cookies([{"name": "kinerja_lang", "value": lang,
                                        "url": self.url}])
        return context

    async def signed_in(self, who: str, **options: object) -> Page:
        """A new page of a new browser, signed in as ``who`` (employee, appraiser,
        superior, hr, inspector) through the development sign-in page."""
        context = await self.context(**options)  # type: ignore[arg-type]
        page = await context.new_page()
        await page.goto("/masuk/dev")
        await page.get_by_role("button", name=self.people[who].name).click()
        await page.wait_for_url(self.url + "/")
        return page


async def axe_check(page: Page, name: str) -> None:
    """axe-core finds no serious or critical violation on ``page``."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    bad = [v for v in results.response["violations"]
           if v.get("impact") in ("serious", "critical")]
    assert not bad, f"{name}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}" for v in bad)


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def oidc() -> OidcSettings | None:
    """The OpenID provider the site signs in with (a test module overrides it)."""
    return None


@pytest.fixture
def audit() -> AuditSettings | None:
    """What the inspection pages verify with (a test module overrides it with a key)."""
    return None


@pytest.fixture
def roster_batch_hook() -> BatchHook | None:
    """Awaited by the site's worker after each batch of a background roster apply (a test
    module overrides it to hold an apply mid-way)."""
    return None


@pytest.fixture
async def site(temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool, browser: Browser,
               oidc: OidcSettings | None, audit: AuditSettings | None,
               roster_batch_hook: BatchHook | None) -> AsyncIterator[Site]:
    test_id = uuid.uuid4().hex[:8]
    agency = f"pemkot-{test_id}"
    people = {p.role: DevPerson(key=p.key, name=p.name.split(" (")[0], roles=p.roles,
                                agency=agency, unit=UNIT,
                                agencies=tuple(agency for _ in p.agencies))
              for p in PEOPLE}
    settings = WebSettings(session_secret=SESSION_SECRET, development=oidc is None,
                           demo_people=tuple(people.values()), oidc=oidc)
    task_queue = f"web-{test_id}"
    services = Services(pool=app_pool, temporal=temporal_dev.client,
                        token_verifier=TokenVerifier(TOKENS), task_queue=task_queue,
                        web=settings, audit=audit)
    app = create_app(services)
    sock = _free_port()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    async with running_worker(temporal_dev.client, app_pool, task_queue=task_queue,
                              after_roster_batch=roster_batch_hook):
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        appraisal_id = await _open_demo_appraisal(app.state.kinerja.appraisals, agency,
                                                  people)
        try:
            yield Site(url=f"http://localhost:{port}", agency=agency,
                       appraisal_id=appraisal_id, people=people, pool=app_pool,
                       browser=browser, settings=settings,
                       appraisals=app.state.kinerja.appraisals)
        finally:
            server.should_exit = True
            await serving
            sock.close()
            rows = await app_pool.fetch("SELECT appraisal_id FROM appraisal_summaries"
                                        " WHERE phase NOT IN ('final', 'cancelled')")
            for row in rows:
                await temporal_dev.client.get_workflow_handle(
                    row["appraisal_id"]).terminate("test over")


async def _open_demo_appraisal(appraisals: object, agency: str,
                               people: dict[str, DevPerson]) -> str:
    now = datetime.now(UTC)
    cycle_id = f"{agency}-{now.year}"
    calendar = default_calendar(now.year, POLICY_6_2022).model_copy(update={
        "skp_deadline": now + timedelta(days=30),
        "self_assessment_deadline": now + timedelta(days=60),
        "review_deadline": now + timedelta(days=90),
    })
    command = OpenAppraisal(
        appraisal_id=workflow_id(cycle_id, people["employee"].key), cycle_id=cycle_id,
        parties=Parties(agency=agency, unit=UNIT, employee=people["employee"].key,
                        appraiser=people["appraiser"].key, superior=people["superior"].key),
        policy=POLICY_6_2022, calendar=calendar, position_kind=PositionKind.FUNCTIONAL,
        functional_level=FunctionalLevel.AHLI_PERTAMA)
    hr = people["hr"]
    actor = Actor(subject=hr.key, roles=frozenset(Role(r) for r in hr.roles),
                  agencies=frozenset(hr.agencies), agency=agency)
    await appraisals.open(actor, command, f"open-{cycle_id}")  # type: ignore[attr-defined]
    return command.appraisal_id
