"""Outside development (KINERJA_MODE=production, the default) the serving commands refuse the
development token secret, a short HS256 secret and the development checkpoint key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinerja.cli import app
from kinerja.settings import DEV_JWT_SECRET, Settings, get_settings

from .helpers import preserved_logging

runner = CliRunner()
GOOD_SECRET = "a-production-secret-" + "q" * 40


def _invoke(command: str) -> tuple[int, str]:
    get_settings.cache_clear()
    with preserved_logging():
        result = runner.invoke(app, [command])
    return result.exit_code, " ".join(result.output.split())


@pytest.mark.parametrize("command", ["api", "worker"])
def test_serving_commands_refuse_the_development_secret_and_key(
    kinerja_env: pytest.MonkeyPatch, command: str,
) -> None:
    kinerja_env.setenv("KINERJA_LOG_FORMAT", "console")
    # Unreachable dependencies: if the check did not refuse first, the command would
    # fail later with another message (or hang), not name these settings.
    kinerja_env.setenv("KINERJA_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    code, output = _invoke(command)
    assert code == 1, output
    assert "KINERJA_MODE=production" in output
    assert "KINERJA_JWT_SECRET is the development secret" in output
    assert "KINERJA_SIGNING_KEY_FILE is unset" in output


def test_a_short_secret_is_refused_and_named(kinerja_env: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    kinerja_env.setenv("KINERJA_LOG_FORMAT", "console")
    kinerja_env.setenv("KINERJA_JWT_SECRET", "x" * 31)
    kinerja_env.setenv("KINERJA_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    code, output = _invoke("api")
    assert code == 1, output
    assert "KINERJA_JWT_SECRET is shorter than 32 bytes" in output
    assert "KINERJA_SIGNING_KEY_FILE" not in output


def test_the_sealer_is_refused_without_an_explicit_key_but_ignores_tokens(
    kinerja_env: pytest.MonkeyPatch,
) -> None:
    kinerja_env.setenv("KINERJA_LOG_FORMAT", "console")
    code, output = _invoke("sealer")
    assert code == 1, output
    assert "KINERJA_SIGNING_KEY_FILE is unset" in output
    assert "KINERJA_JWT_SECRET" not in output


def test_production_problems_is_the_one_rule(kinerja_env: pytest.MonkeyPatch) -> None:
    key = Path("/etc/kinerja/key.pem")
    assert Settings(mode="production", jwt_secret=GOOD_SECRET,
                    signing_key_file=key).production_problems() == []
    assert Settings(mode="production", jwt_algorithm="RS256", jwt_secret=None,
                    jwt_public_key="pem", signing_key_file=key).production_problems() == []
    assert len(Settings(mode="production", jwt_secret=DEV_JWT_SECRET,
                        signing_key_file=key).production_problems()) == 1
    assert len(Settings(mode="production", jwt_secret=None,
                        signing_key_file=key).production_problems()) == 1
    assert Settings(mode="development").production_problems() == []
    assert Settings().mode == "production"


def test_production_settings_pass_the_serving_check(kinerja_env: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    from kinerja.cli import _serving_settings

    kinerja_env.setenv("KINERJA_JWT_SECRET", GOOD_SECRET)
    kinerja_env.setenv("KINERJA_SIGNING_KEY_FILE", str(tmp_path / "key.pem"))
    get_settings.cache_clear()
    with preserved_logging():
        settings = _serving_settings()
    assert settings.mode == "production" and settings.jwt_secret == GOOD_SECRET


def test_development_mode_accepts_the_development_secret(kinerja_env: pytest.MonkeyPatch
                                                         ) -> None:
    from kinerja.cli import _serving_settings

    kinerja_env.setenv("KINERJA_MODE", "development")
    get_settings.cache_clear()
    with preserved_logging():
        assert _serving_settings().jwt_secret == DEV_JWT_SECRET
