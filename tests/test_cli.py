"""The ``va`` command against the real backends."""

from __future__ import annotations

import json

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from models.migrate import alembic_config
from va_app.cli import app

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.clickhouse]
runner = CliRunner()


def _head() -> str:
    """The newest migration (several features add their own revisions)."""
    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def test_status_json_reports_ready() -> None:
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "ready"
    assert body["backends"]["postgres"]["ok"]


def test_status_table_is_human_readable() -> None:
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    for word in ("postgres", "redis", "clickhouse", "bus", "up"):
        assert word in result.stdout


def test_db_current_is_head() -> None:
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0
    assert result.stdout.strip() == _head()


def test_db_upgrade_is_idempotent() -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert _head() in result.stdout
    assert "analytics schema: 0 migration(s) applied" in result.stdout  # ClickHouse too, already current


def test_db_upgrade_one_store_only() -> None:
    result = runner.invoke(app, ["db", "upgrade", "--store", "clickhouse"])
    assert result.exit_code == 0, result.output
    assert "analytics schema" in result.stdout and "database at revision" not in result.stdout
    refused = runner.invoke(app, ["db", "upgrade", "--store", "mysql"])
    assert refused.exit_code != 0
