"""Settings: embedded defaults, URL overrides, nested sections, production refuses defaults."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.config import DEFAULT_SECRET, Settings


def test_embedded_defaults_when_no_urls(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for var in ("DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL", "KAFKA_BOOTSTRAP_SERVERS"):
        monkeypatch.delenv(var, raising=False)
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert settings.postgres_embedded and settings.redis_embedded and settings.clickhouse_embedded
    assert settings.bus_backend == "redis"
    assert settings.resolved_database_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert settings.resolved_clickhouse_url == f"chdb:///{tmp_path.resolve() / 'chdb'}"


def test_urls_select_external_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/va")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/1")
    monkeypatch.setenv("CLICKHOUSE_URL", "http://ch:8123/")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    settings = Settings(_env_file=None)
    assert settings.resolved_database_url == "postgresql+psycopg://u:p@db:5432/va"
    assert not settings.postgres_embedded and not settings.redis_embedded and not settings.clickhouse_embedded
    assert settings.bus_backend == "kafka"


def test_nested_sections_read_with_double_underscore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUS__BATCH_SIZE", "123")
    monkeypatch.setenv("CLICKHOUSE__RETENTION_DAYS", "30")
    settings = Settings(_env_file=None)
    assert settings.bus.batch_size == 123
    assert settings.clickhouse.retention_days == 30


def test_production_refuses_default_secret() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(_env_file=None, environment="production")


def test_production_refuses_short_secret() -> None:
    with pytest.raises(ValidationError, match="32 characters"):
        Settings(_env_file=None, environment="production", secret_key="short")


def test_production_accepts_real_secrets() -> None:
    settings = Settings(
        _env_file=None, environment="production", secret_key="x" * 40, demo_owner_password="another-password"
    )
    assert settings.secret_key.get_secret_value() != DEFAULT_SECRET
    assert "x" * 40 not in repr(settings)
