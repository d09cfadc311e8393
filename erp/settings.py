"""One settings object, read from the environment (prefix-free names an operator expects)."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration; every field can be set by an environment variable."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    temporal_address: str | None = Field(default=None, alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field(default="erp", alias="ERP_TASK_QUEUE")
    data_dir: Path = Field(default=PROJECT_ROOT / ".data", alias="ERP_DATA_DIR")
    api_host: str = Field(default="127.0.0.1", alias="ERP_API_HOST")
    api_port: int = Field(default=8000, alias="ERP_API_PORT")
    temporal_port: int = Field(default=7233, alias="ERP_TEMPORAL_PORT")
    temporal_ui_port: int = Field(default=8233, alias="ERP_TEMPORAL_UI_PORT")
    worker_metrics_port: int = Field(default=9000, alias="ERP_WORKER_METRICS_PORT")
    # Loopback unless an operator opens it (compose sets 0.0.0.0 for its Prometheus on the network).
    worker_metrics_host: str = Field(default="127.0.0.1", alias="ERP_WORKER_METRICS_HOST")
    db_app_role: str = Field(default="erp_app", alias="ERP_DB_APP_ROLE")
    log_json: bool = Field(default=False, alias="ERP_LOG_JSON")
    # OpenTelemetry tracing is off unless one of these is set (docs/operations.md, "Tracing"): an OTLP/HTTP
    # traces endpoint such as http://127.0.0.1:4318/v1/traces, and/or spans printed to stdout.
    otel_endpoint: str | None = Field(default=None, alias="ERP_OTEL_ENDPOINT")
    otel_console: bool = Field(default=False, alias="ERP_OTEL_CONSOLE")
    update_timeout_seconds: float = Field(default=10.0, alias="ERP_UPDATE_TIMEOUT_SECONDS")
    # Order intakes one API process lets wait for their workflow's first answer; more are stored and answered
    # 202 at once (naming the order) and the relays start them: a flash sale queues instead of timing out.
    intake_waiters: int = Field(default=16, ge=0, le=10_000, alias="ERP_INTAKE_WAITERS")
    # Webhooks may reach only public addresses; list on-premise receivers here (host names or CIDR ranges,
    # comma separated), e.g. "wms.corp.example,10.20.0.0/16". See docs/integration.md.
    webhook_allowed_targets: str = Field(default="", alias="ERP_WEBHOOK_ALLOWED_TARGETS")
    # A bearer token's lifetime when it is issued (a user or a rotation may ask for another within bounds).
    token_ttl_days: int = Field(default=90, ge=1, le=3650, alias="ERP_TOKEN_TTL_DAYS")
    # After a webhook secret rotation the old secret signs too, for receivers still switching over.
    webhook_secret_overlap_hours: int = Field(
        default=24, ge=0, le=720, alias="ERP_WEBHOOK_SECRET_OVERLAP_HOURS"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings are read once per process."""
    return Settings()
