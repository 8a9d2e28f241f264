"""No NIP and no name of the roster enters Temporal, on a real Temporal and PostgreSQL:
neither when a cycle starts nor when it follows a roster change (a newcomer, a leaver,
a transfer, a superior changed). Every run of the cycle's workflow and of every
appraisal's is fetched from Temporal, its payloads decoded, and searched."""

from __future__ import annotations

from tests.polling import poll_async
from workflows.cycle.contract import cycle_workflow_id

from .conftest import Stack, history_text
from .test_cycle import call
from .test_cycle_exports import COLUMNS, demo_rows, import_roster, start_cycle


async def everything_in_temporal(stack: Stack, cycle_id: str) -> dict[str, str]:
    ids = [cycle_workflow_id(cycle_id)] + [r["appraisal_id"] for r in await stack.pool.fetch(
        "SELECT appraisal_id FROM appraisal_summaries WHERE cycle_id = $1", cycle_id)]
    return {workflow_id: await history_text(stack.client, workflow_id) for workflow_id in ids}


def personal(rows: list[list[str]]) -> set[str]:
    """Every NIP and name of a roster, and each name's words (a surname alone is one)."""
    found: set[str] = set()
    for line in rows[1:]:
        found |= {line[COLUMNS["nip"]], line[COLUMNS["name"]], *line[COLUMNS["name"]].split()}
        if line[COLUMNS["superior"]]:
            found.add(line[COLUMNS["superior"]])
    return found


def assert_nothing_personal(histories: dict[str, str], secrets: set[str]) -> None:
    for workflow_id, text in histories.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{workflow_id} holds {leaked}"


async def test_no_nip_and_no_name_enters_temporal(stack: Stack) -> None:
    rows = demo_rows()
    await import_roster(stack, rows)
    cycle_id = await start_cycle(stack, 8)
    started = await everything_in_temporal(stack, cycle_id)
    assert len(started) == 9
    # What the histories hold is read: keys and units are there, so the search below works.
    assert "e-0001" in started[cycle_workflow_id(cycle_id)] or \
        "e-0001" in started[f"appraisal-{cycle_id}-e-0001"]
    assert "diskominfo" in started[f"appraisal-{cycle_id}-e-0001"]
    assert_nothing_personal(started, personal(rows))

    # The roster changes: Rina reports to Sri (superior changed, and Budi's superior with
    # it), Siti moves to BKPSDM under Sri (transfer), Dewi leaves, Joko joins Diskominfo.
    changed = [rows[0]]
    for line in rows[1:]:
        line = list(line)
        if line[COLUMNS["key"]] == "e-0003":
            line[COLUMNS["superior"]] = "197204211997012002"
        elif line[COLUMNS["key"]] == "e-0001":
            line[7:11] = ["bkpsdm", "Badan Kepegawaian dan Pengembangan SDM", "setda",
                          "197204211997012002"]
        elif line[COLUMNS["key"]] == "e-insp1":
            continue
        changed.append(line)
    changed.append(["e-0020", "199501012020121001", "Joko Susilo", "Pranata Komputer",
                    "fungsional", "Ahli Pertama", "PNS", "diskominfo",
                    "Dinas Komunikasi dan Informatika", "setda", "198003152005011002",
                    "joko@pemkot-demo.go.id"])
    report = await import_roster(stack, changed)
    assert report["cycles_following"] == [cycle_id]
    assert report["changes"]["hired"] == 1 and report["changes"]["left"] == 1
    assert report["changes"]["transferred"] == 1 and report["changes"]["superior_changed"] >= 1

    async def followed() -> bool:
        state = (await call(stack, "GET", f"/v1/cycles/{cycle_id}"))["state"]
        return not state["pending"] and state["work_done"] == 2
    await poll_async(followed, "the cycle follows the roster", within=60)
    now = {r["appraisal_id"]: r["phase"] for r in await stack.pool.fetch(
        "SELECT appraisal_id, phase FROM appraisal_summaries WHERE cycle_id = $1", cycle_id)}
    base = f"appraisal-{cycle_id}"
    assert now[f"{base}-e-0020"] != "cancelled" and now[f"{base}-e-insp1"] == "cancelled"
    assert now[f"{base}-e-0001"] == "cancelled" and len(now) == 10  # Siti's new one too

    followed_histories = await everything_in_temporal(stack, cycle_id)
    assert len(followed_histories) == 11
    cycle_history = followed_histories[cycle_workflow_id(cycle_id)]
    for key in ("e-0020", "e-insp1", "e-0001", "e-0003", "transfer", "joined", "left"):
        assert key in cycle_history  # the follow is in there, by keys
    assert_nothing_personal(followed_histories, personal(rows) | personal(changed))
