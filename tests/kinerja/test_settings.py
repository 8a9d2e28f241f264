"""Settings: ``KINERJA_*`` variables, a ``.env`` file, defaults, and the token settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.auth import TokenSettings
from kinerja.settings import DEV_JWT_SECRET, Settings, get_settings


def test_defaults_without_any_variable(kinerja_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.database_url is None and settings.temporal_address is None
    assert settings.database_role == "kinerja_app"
    assert settings.data_dir == Path(".data")
    assert settings.postgres_dir == Path(".data") / "postgres"
    assert settings.temporal_db_file == Path(".data") / "temporal.sqlite"
    assert settings.log_format == "auto" and settings.log_level == "INFO"
    assert (settings.temporal_port, settings.temporal_ui_port) == (7233, 8233)
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert settings.temporal_namespace == "default"
    assert settings.task_queue == "kinerja-appraisals"
    assert settings.jwt_algorithm == "HS256" and settings.jwt_secret == DEV_JWT_SECRET


def test_variables_are_read_and_typed(kinerja_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {
        "DATABASE_URL": "postgresql://kinerja@db.internal/kinerja",
        "DATABASE_ROLE": "someone_else",
        "TEMPORAL_ADDRESS": "temporal.internal:7233",
        "TEMPORAL_NAMESPACE": "kinerja-prod",
        "TEMPORAL_PORT": "17233",
        "TEMPORAL_UI_PORT": "18233",
        "TASK_QUEUE": "q-1",
        "DATA_DIR": str(tmp_path / "state"),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "debug",
        "API_HOST": "0.0.0.0",
        "API_PORT": "9000",
        "UNRELATED_THING": "ignored",
    }.items():
        kinerja_env.setenv(f"KINERJA_{name}", value)
    settings = Settings()
    assert settings.database_url == "postgresql://kinerja@db.internal/kinerja"
    assert settings.database_role == "someone_else"
    assert settings.temporal_address == "temporal.internal:7233"
    assert settings.temporal_namespace == "kinerja-prod"
    assert settings.temporal_port == 17233 and settings.temporal_ui_port == 18233
    assert settings.task_queue == "q-1"
    assert settings.data_dir == tmp_path / "state"
    assert settings.postgres_dir == tmp_path / "state" / "postgres"
    assert settings.temporal_db_file == tmp_path / "state" / "temporal.sqlite"
    assert settings.log_format == "json" and settings.log_level == "debug"
    assert settings.api_host == "0.0.0.0" and settings.api_port == 9000


def test_dot_env_file_is_read_and_the_environment_wins(kinerja_env: pytest.MonkeyPatch) -> None:
    Path(".env").write_text("KINERJA_API_PORT=9001\nKINERJA_TASK_QUEUE=from-dot-env\n")
    assert (Settings().api_port, Settings().task_queue) == (9001, "from-dot-env")
    kinerja_env.setenv("KINERJA_API_PORT", "9002")
    assert (Settings().api_port, Settings().task_queue) == (9002, "from-dot-env")


@pytest.mark.parametrize(("name", "value"), [
    ("KINERJA_LOG_FORMAT", "xml"),
    ("KINERJA_API_PORT", "eighty"),
    ("KINERJA_JWT_ALGORITHM", "none"),
])
def test_invalid_values_are_refused(kinerja_env: pytest.MonkeyPatch, name: str,
                                    value: str) -> None:
    kinerja_env.setenv(name, value)
    with pytest.raises(ValidationError) as error:
        Settings()
    assert name.removeprefix("KINERJA_").lower() in str(error.value)


def test_token_settings_carry_every_jwt_setting(kinerja_env: pytest.MonkeyPatch) -> None:
    kinerja_env.setenv("KINERJA_JWT_ALGORITHM", "RS256")
    kinerja_env.setenv("KINERJA_JWT_SECRET", "s3cret")
    kinerja_env.setenv("KINERJA_JWT_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----x")
    kinerja_env.setenv("KINERJA_JWKS_URL", "https://idp.example/jwks.json")
    kinerja_env.setenv("KINERJA_JWT_ISSUER", "https://idp.example")
    kinerja_env.setenv("KINERJA_JWT_AUDIENCE", "kinerja-prod")
    assert Settings().token_settings() == TokenSettings(
        algorithm="RS256", secret="s3cret", public_key="-----BEGIN PUBLIC KEY-----x",
        jwks_url="https://idp.example/jwks.json", issuer="https://idp.example",
        audience="kinerja-prod")


def test_default_token_settings_are_the_development_ones(kinerja_env: pytest.MonkeyPatch
                                                         ) -> None:
    assert Settings().token_settings() == TokenSettings(
        algorithm="HS256", secret=DEV_JWT_SECRET, public_key=None, jwks_url=None,
        issuer="kinerja", audience="kinerja-api")


def test_get_settings_reads_once_until_the_cache_is_cleared(
        kinerja_env: pytest.MonkeyPatch) -> None:
    first = get_settings()
    kinerja_env.setenv("KINERJA_API_PORT", "9100")
    assert get_settings() is first and first.api_port == 8000
    get_settings.cache_clear()
    assert get_settings().api_port == 9100
