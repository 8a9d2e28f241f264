"""``kinerja migrate``, ``kinerja token`` and ``kinerja dev``'s refusal, through typer's runner."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from api.auth import TokenVerifier
from api.problems import Problem
from domain.authorization import Role
from kinerja.cli import app
from kinerja.settings import DEV_JWT_SECRET, Settings, get_settings
from store.migrations import migration_names

from .helpers import free_ports, preserved_logging, run_sql

runner = CliRunner()


def _invoke(*args: str) -> tuple[int, str]:
    """Run ``kinerja *args`` with settings read afresh; exit code and output on one line."""
    get_settings.cache_clear()
    with preserved_logging():
        result = runner.invoke(app, list(args))
    get_settings.cache_clear()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split())


def test_migrate_applies_every_migration_once(kinerja_env: pytest.MonkeyPatch,
                                              empty_database: str) -> None:
    kinerja_env.setenv("KINERJA_DATABASE_URL", empty_database)
    names = migration_names()
    assert names, "no migration shipped"

    code, output = _invoke("migrate")
    assert code == 0, output
    assert f"applied {len(names)} migration(s): " + ", ".join(names) in output
    rows = run_sql(empty_database, "SELECT name FROM schema_migrations ORDER BY name")
    assert [row["name"] for row in rows] == names

    code, output = _invoke("migrate")
    assert code == 0, output
    assert output == f"all {len(names)} migrations are already applied"
    assert len(run_sql(empty_database, "SELECT name FROM schema_migrations")) == len(names)


def test_token_decodes_to_the_actor_it_was_asked_for(kinerja_env: pytest.MonkeyPatch) -> None:
    code, token = _invoke("token", "--subject", "e-9", "--role", "hr", "--role", "employee",
                          "--scope", "pemkot-x", "--scope", "pemkot-y",
                          "--agency", "pemkot-x", "--unit", "bkpsdm")
    assert code == 0, token
    actor = TokenVerifier(Settings().token_settings()).actor(token)
    assert actor.subject == "e-9"
    assert actor.roles == {Role.HR, Role.EMPLOYEE}
    assert actor.agencies == {"pemkot-x", "pemkot-y"}
    assert actor.agency == "pemkot-x" and actor.unit == "bkpsdm"
    assert actor.in_scope("pemkot-y") and not actor.in_scope("pemkot-z")


def test_token_defaults_to_an_employee_for_one_day(kinerja_env: pytest.MonkeyPatch) -> None:
    code, token = _invoke("token", "--subject", "e-1")
    assert code == 0, token
    actor = TokenVerifier(Settings().token_settings()).actor(token)
    assert actor.roles == {Role.EMPLOYEE} and actor.agencies == frozenset()
    assert actor.agency is None and actor.unit is None
    claims = jwt.decode(token, options={"verify_signature": False})
    assert abs(claims["exp"] - (time.time() + 86400)) < 60

    code, token = _invoke("token", "--subject", "e-1", "--days", "30")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert abs(claims["exp"] - (time.time() + 30 * 86400)) < 60


def test_token_is_signed_with_the_configured_secret(kinerja_env: pytest.MonkeyPatch) -> None:
    kinerja_env.setenv("KINERJA_JWT_SECRET", "another-secret-" + "z" * 32)
    kinerja_env.setenv("KINERJA_JWT_AUDIENCE", "kinerja-staging")
    code, token = _invoke("token", "--subject", "e-2", "--role", "inspector", "--scope", "*")
    assert code == 0, token
    actor = TokenVerifier(Settings().token_settings()).actor(token)
    assert actor.roles == {Role.INSPECTOR} and actor.in_scope("any-agency")
    development = Settings(jwt_secret=DEV_JWT_SECRET, jwt_audience="kinerja-staging")
    with pytest.raises(Problem) as refused:
        TokenVerifier(development.token_settings()).actor(token)
    assert refused.value.status == 401


@pytest.mark.parametrize("setting", [
    "KINERJA_TEMPORAL_PORT", "KINERJA_TEMPORAL_UI_PORT", "KINERJA_API_PORT"])
def test_dev_refuses_a_taken_port_and_says_which_setting_to_change(
        kinerja_env: pytest.MonkeyPatch, empty_database: str, tmp_path: Path,
        setting: str) -> None:
    ports = dict(zip(["KINERJA_TEMPORAL_PORT", "KINERJA_TEMPORAL_UI_PORT", "KINERJA_API_PORT"],
                     free_ports(3), strict=True))
    kinerja_env.setenv("KINERJA_DATABASE_URL", empty_database)
    kinerja_env.setenv("KINERJA_DATA_DIR", str(tmp_path / "data"))
    for name, port in ports.items():
        kinerja_env.setenv(name, str(port))
    taken = ports[setting]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        code, output = _invoke("dev")
    assert code == 1, output
    assert output.startswith("cannot start: ")
    assert f"port {taken} is taken; set {setting} to a free port" in output
    # Refused before anything started: no Temporal server ran, no migration was applied.
    assert not (tmp_path / "data" / "temporal.log").exists()
    assert run_sql(empty_database, "SELECT to_regclass('schema_migrations') AS t")[0]["t"] is None


def test_migrate_names_an_unreachable_database_without_a_traceback(
        kinerja_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    [port] = free_ports(1)  # nothing listens there
    kinerja_env.setenv("KINERJA_DATABASE_URL", f"postgresql://kinerja@127.0.0.1:{port}/kinerja")
    code, output = _invoke("migrate")
    assert code == 1, output
    assert output.startswith("cannot migrate: "), output
