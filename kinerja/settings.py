"""Settings, from ``KINERJA_*`` environment variables (or a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.auth import TokenSettings
from web import DevPerson, WebSettings
from web.oidc import OidcSettings

DEV_JWT_SECRET = "kinerja-development-secret-do-not-use-in-production"
DEV_SESSION_SECRET = "kinerja-development-session-secret-do-not-use-in-production"

MIN_HS256_SECRET_BYTES = 32
"""RFC 7518 3.2: an HS256 key at least as long as the hash output."""


class Settings(BaseSettings):
    """Everything configurable. Unset database/Temporal: ``kinerja dev`` starts its own."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_", env_file=".env", extra="ignore")

    mode: Literal["development", "production"] = Field(
        default="production",
        description="production refuses to serve with development secrets and keys "
                    "(see production_problems); kinerja dev runs in development")

    database_url: str | None = Field(
        default=None, description="PostgreSQL DSN; unset: the embedded server in data_dir")
    database_role: str | None = Field(
        default="kinerja_app", description="role the application acts as (SET ROLE)")
    temporal_address: str | None = Field(
        default=None, description="host:port of Temporal; unset: the development server")
    temporal_namespace: str = "default"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    task_queue: str = "kinerja-appraisals"
    data_dir: Path = Field(default=Path(".data"), description="embedded PostgreSQL, Temporal")
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: str = "INFO"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    jwt_algorithm: Literal["HS256", "RS256"] = "HS256"
    jwt_secret: str | None = DEV_JWT_SECRET
    jwt_public_key: str | None = None
    jwks_url: str | None = None
    jwt_issuer: str = "kinerja"
    jwt_audience: str = "kinerja-api"
    session_secret: str | None = Field(
        default=None, description="signs the pages' session cookie (web/); unset: the pages "
                                  "are served only in development (with a development secret)")
    session_hours: float = Field(default=8.0, gt=0, le=24 * 30,
                                 description="a page session ends this long after sign-in")
    oidc_issuer: str | None = Field(
        default=None, description="the agency's OpenID provider (issuer URL); unset: no "
                                  "sign-in on the pages but development's demo people")
    oidc_client_id: str = "kinerja"
    oidc_client_secret: str | None = None
    oidc_key_claim: str = Field(default="employee_key",
                                description="the ID token claim holding the employee key")
    oidc_redirect_url: str | None = Field(
        default=None, description="the callback registered at the provider "
                                  "(https://<host>/masuk/callback); unset: as requested")
    # The HTTP edge (api.edge, kinerja.serving).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024,
                                description="largest request body (JSON); above it a 413")
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024,
                                  description="largest body of the roster upload routes "
                                              "and of any multipart request")
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024,
                                    description="largest evidence file of a progress report; "
                                                "above it a 413 naming the field 'file'")
    max_headers: int = Field(default=100, ge=10, description="most request headers; 431 above")
    max_header_bytes: int = Field(default=32 * 1024, ge=1024,
                                  description="most bytes of all request headers; 431 above")
    keep_alive_seconds: float = Field(default=5.0, gt=0,
                                      description="an idle connection after a response is "
                                                  "closed after this long")
    header_timeout_seconds: float = Field(default=10.0, gt=0,
                                          description="a request's line and headers must "
                                                      "arrive within this long of the "
                                                      "connection (or of its first byte)")
    checkpoint_interval_seconds: float = Field(
        default=5.0, gt=0, description="how often the sealer signs a checkpoint if the tree grew")
    signing_key_file: Path | None = Field(
        default=None, description="Ed25519 PEM private key of checkpoints; unset: "
                                  "data_dir/checkpoint-signing-key.pem (kinerja dev creates it)")
    checkpoint_log: Path | None = Field(
        default=None,
        description="JSON-lines file of checkpoints; unset: data_dir/checkpoints.jsonl")
    document_zip_dir: Path | None = Field(
        default=None, description="where ZIPs of documents are built (the worker) and read "
                                  "(the API): shared by both; unset: data_dir/zips")

    next_cycle_on: str | None = Field(
        default=None, pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
        description="MM-DD: each year on this day (00:00 in the agency's zone) a Temporal "
                    "Schedule creates next year's cycle of every agency in "
                    "next_cycle_agencies; unset: off")
    next_cycle_agencies: str = Field(
        default="", description="comma-separated agencies the yearly schedule creates cycles for")
    next_cycle_policy: str = "permenpan-rb-6-2022"
    next_cycle_utc_offset_hours: int = Field(default=7, ge=7, le=9)

    # Reminders before deadlines (workflows.reminders), by e-mail when smtp_host is set.
    reminder_enabled: bool = Field(default=True, description="worker start-up starts them")
    reminder_days_before: str = Field(default="7,1", description="thresholds in days")
    reminder_scan_seconds: float = Field(default=3600.0, gt=0)
    reminder_link_base_url: str | None = Field(
        default=None, description="base of the link in reminders; unset: the API's URL")
    reminder_time_zone: str = "Asia/Jakarta"
    # Notifications of what happened (workflows.notifications), e-mail and in-app inbox.
    notify_enabled: bool = Field(default=True, description="worker start-up starts them")
    notify_poll_seconds: float = Field(default=5.0, gt=0,
                                       description="longest wait for new events")
    smtp_host: str | None = Field(default=None, description="unset: reminders go to the log")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_from: str = "kinerja@localhost"

    @field_validator("reminder_days_before")
    @classmethod
    def _days_before(cls, value: str) -> str:
        from domain.reminders import parse_days_before

        parse_days_before(value)  # refuses a malformed list at start-up
        return value

    @property
    def postgres_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def temporal_db_file(self) -> Path:
        return self.data_dir / "temporal.sqlite"

    @property
    def signing_key_path(self) -> Path:
        return self.signing_key_file or self.data_dir / "checkpoint-signing-key.pem"

    @property
    def checkpoint_log_path(self) -> Path:
        return self.checkpoint_log or self.data_dir / "checkpoints.jsonl"

    @property
    def document_zip_path(self) -> Path:
        return self.document_zip_dir or self.data_dir / "zips"

    def production_problems(self, *, uses_tokens: bool = True) -> list[str]:
        """Why these settings must not serve outside development: one sentence per problem,
        each naming the setting to change. Empty in development mode.

        The rule for the checkpoint key: in production ``signing_key_file`` must be set
        explicitly. Unset, the key is ``data_dir/checkpoint-signing-key.pem``, which is
        where ``kinerja dev`` creates a development key by itself, so a key found there
        cannot be told apart from one nobody chose.
        """
        if self.mode == "development":
            return []
        problems = []
        if uses_tokens and self.jwt_algorithm == "HS256":
            if not self.jwt_secret or self.jwt_secret == DEV_JWT_SECRET:
                problems.append("KINERJA_JWT_SECRET is the development secret (anyone can "
                                "mint tokens with it): set your own, or use RS256")
            elif len(self.jwt_secret.encode()) < MIN_HS256_SECRET_BYTES:
                problems.append(f"KINERJA_JWT_SECRET is shorter than "
                                f"{MIN_HS256_SECRET_BYTES} bytes")
        if self.session_secret is not None and (
                self.session_secret == DEV_SESSION_SECRET
                or len(self.session_secret.encode()) < MIN_HS256_SECRET_BYTES):
            problems.append("KINERJA_SESSION_SECRET is the development secret or shorter "
                            f"than {MIN_HS256_SECRET_BYTES} bytes (anyone could forge a "
                            "page session): set a long random one")
        if self.signing_key_file is None:
            problems.append("KINERJA_SIGNING_KEY_FILE is unset: the default "
                            "data_dir/checkpoint-signing-key.pem is the development key "
                            "kinerja dev creates; set the path of your own Ed25519 key")
        return problems

    def web_settings(self) -> WebSettings:
        """The pages' settings; development mode: the demo people may sign in."""
        from kinerja.demo import AGENCY, PEOPLE, UNIT

        development = self.mode == "development"
        secret = self.session_secret or (DEV_SESSION_SECRET if development else "")
        people = tuple(DevPerson(key=p.key, name=p.name, roles=p.roles, agency=AGENCY,
                                 unit=UNIT, agencies=p.agencies) for p in PEOPLE) \
            if development else ()
        oidc = OidcSettings(issuer=self.oidc_issuer, client_id=self.oidc_client_id,
                            client_secret=self.oidc_client_secret,
                            key_claim=self.oidc_key_claim) if self.oidc_issuer else None
        return WebSettings(session_secret=secret, development=development,
                           session_seconds=int(self.session_hours * 3600),
                           demo_people=people, oidc=oidc,
                           oidc_redirect_url=self.oidc_redirect_url)

    def token_settings(self) -> TokenSettings:
        return TokenSettings(algorithm=self.jwt_algorithm, secret=self.jwt_secret,
                             public_key=self.jwt_public_key, jwks_url=self.jwks_url,
                             issuer=self.jwt_issuer, audience=self.jwt_audience)

    unsealed_warning_seconds: float = Field(
        default=60.0, ge=0, description="online verification warns (sealed: false, "
        "unsealed-backlog) when a committed event has waited longer for its seal")

    # Observability (kinerja.observability, api.observability, telemetry.metrics).
    worker_metrics_port: int | None = Field(
        default=None, ge=0, le=65535,
        description="port of the worker's /metrics (with the Temporal SDK's), /healthz and "
                    "/readyz; unset: none (0: any free port)")
    sealer_metrics_port: int | None = Field(
        default=None, ge=0, le=65535,
        description="port of the sealer's /metrics, /healthz and /readyz; unset: none")
    metrics_host: str = Field(default="0.0.0.0",
                              description="address the worker's and sealer's metrics port "
                                          "listens on")
    metrics_refresh_seconds: float = Field(
        default=15.0, ge=0, description="the database gauges (sealer lag, cycle progress) are "
                                        "read again at a scrape at most this often")
    otlp_endpoint: str | None = Field(
        default=None, description="OTLP/HTTP collector base URL (e.g. http://collector:4318): "
                                  "traces of requests, updates and activities; unset: off")
    otel_service_name: str = Field(default="kinerja",
                                   description="service name of the spans: <this>-<role>")

    # A Temporal cluster (kinerja.worker.connect_temporal, build_worker).
    temporal_tls: bool = Field(default=False,
                               description="TLS to Temporal (implied by any temporal_tls_* "
                                           "file); the system's CAs unless a CA file is given")
    temporal_tls_cert_file: Path | None = Field(default=None,
                                                description="client certificate (PEM), mTLS")
    temporal_tls_key_file: Path | None = Field(default=None,
                                               description="its private key (PEM)")
    temporal_tls_ca_file: Path | None = Field(
        default=None, description="CA (PEM) the server's certificate must chain to")
    temporal_tls_server_name: str | None = Field(
        default=None, description="name the server's certificate is checked against")
    temporal_api_key: str | None = Field(
        default=None, description="API key (Temporal Cloud), sent as a bearer token; "
                                  "implies TLS")
    worker_max_concurrent_workflow_tasks: int = Field(default=100, ge=2)
    worker_max_concurrent_activities: int = Field(default=100, ge=1)
    worker_max_concurrent_local_activities: int = Field(default=64, ge=1)
    worker_max_cached_workflows: int = Field(
        default=1000, ge=0, description="sticky cache: workflows kept in memory between tasks")

    # Encryption of Temporal payloads (workflows.codec), for the API's and worker's clients.
    payload_keys: str | None = Field(
        default=None, description="id=base64key[,id=base64key...]: AES-256 keys of Temporal "
                                  "payloads; unset: payloads are not encrypted")
    payload_key_id: str | None = Field(
        default=None, description="the key new payloads are encrypted with; unset: the "
                                  "first of payload_keys")
    codec_cors_origins: str = Field(
        default="", description="comma-separated origins (Temporal's UI) that may call the "
                                "API's codec endpoint /codec from a browser")


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
