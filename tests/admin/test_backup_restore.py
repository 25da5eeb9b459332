"""Backup, wipe both stores, restore: every row comes back, byte for byte in meaning."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from analytics import generator
from core import clickhouse, db
from core.config import get_settings
from tests.factories import create_agent, create_key, create_tenant
from va_app.admin.backup import clickhouse as ch_backup
from va_app.admin.backup import postgres as pg_backup
from va_app.admin.backup.archive import BackupError, create_backup, read_manifest, restore_backup
from va_app.cli import app as cli_app

pytestmark = [pytest.mark.postgres, pytest.mark.clickhouse]

END = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)


def _pg() -> pg_backup.PostgresTarget:
    return pg_backup.PostgresTarget.from_sqlalchemy_url(get_settings().resolved_database_url)


def _ch_fingerprints() -> dict[str, dict[str, object]]:
    database = get_settings().clickhouse.database
    return {t.name: ch_backup.fingerprint(database, t) for t in ch_backup.data_tables(database)}


async def _seed() -> list[tuple[uuid.UUID, str]]:
    tenants = [await create_tenant(), await create_tenant()]
    agents: list[str] = []
    for tenant in tenants:
        await create_key(tenant, "developer")
        agents.append(await create_agent(tenant, slug="concierge"))
    spec = generator.GeneratorSpec(
        tenants=[
            generator.TenantSpec(str(t.tenant_id), (generator.AgentSpec(a, (1, 2)),))
            for t, a in zip(tenants, agents, strict=True)
        ],
        events=30_000,
        end=END,
        days=2,
    )
    for batch in generator.generate_batches(spec, batch_size=10_000):  # several parts: rollups need merging
        generator.write_batch(batch)
    database = get_settings().clickhouse.database
    clickhouse.insert(
        f"{database}.dead_letters",
        [
            [
                uuid.uuid4(),
                str(tenants[0].tenant_id),
                dt.datetime.now(dt.UTC),
                "api",
                "conversation.logs",
                "bad payload",
                "{}",
            ]
        ],
        ["id", "tenant_id", "received_at", "source", "type", "reason", "raw"],
    )
    return [(t.tenant_id, a) for t, a in zip(tenants, agents, strict=True)]


async def _wipe() -> None:
    await db.dispose()  # pooled connections must not hold locks on what is dropped
    conn = _pg()
    with psycopg.connect(conn.url, password=conn.password, autocommit=True) as c:
        c.execute("DROP SCHEMA public CASCADE")
        c.execute("CREATE SCHEMA public")
    database = get_settings().clickhouse.database
    for table in ch_backup.data_tables(database):
        ch_backup.truncate(database, table.name)


async def test_backup_wipe_restore_loses_nothing(tmp_path: Path) -> None:
    seeded = await _seed()
    pg_before = pg_backup.current_fingerprints(_pg())
    ch_before = _ch_fingerprints()
    assert ch_before["events"]["rows"] >= 30_000
    assert ch_before["rollup_1m"]["rows"] > 0
    assert ch_before["dead_letters"]["rows"] >= 1

    manifest = create_backup(tmp_path / "backup")
    backup_dir = Path(manifest["dir"])
    assert {n: (t["rows"], t["checksum"]) for n, t in manifest["postgres"]["tables"].items()} == {
        n: (t["rows"], t["checksum"]) for n, t in pg_before.items()
    }
    assert {n: {"rows": t["rows"], "checksum": t["checksum"]} for n, t in manifest["clickhouse"]["tables"].items()} == (
        ch_before
    )
    assert manifest["postgres"]["tables"]["agents"]["rows"] >= 2
    assert manifest["postgres"]["tables"]["alembic_version"]["rows"] == 1

    await _wipe()
    assert _ch_fingerprints()["events"]["rows"] == 0
    assert pg_backup.current_fingerprints(_pg()) == {}

    report = restore_backup(backup_dir)
    assert report.rows["clickhouse.events"] == ch_before["events"]["rows"]
    assert pg_backup.current_fingerprints(_pg()) == pg_before
    assert _ch_fingerprints() == ch_before

    # The application reads the restored rows through its own code paths.
    from models.repositories import agents as agents_repo

    async with db.session_scope() as session:
        for tenant_id, agent_id in seeded:
            agent = await agents_repo.get_agent_by_slug(session=session, tenant_id=tenant_id, slug="concierge")
            assert agent is not None
            assert str(agent.id) == agent_id


async def test_restore_refuses_a_damaged_backup_or_another_secret(tmp_path: Path) -> None:
    manifest = create_backup(tmp_path / "backup")
    backup_dir = Path(manifest["dir"])

    other = get_settings().model_copy(update={"secret_key": SecretStr("another-secret-key-of-at-least-32-chars")})
    with pytest.raises(BackupError, match="another SECRET_KEY"):
        restore_backup(backup_dir, other)

    events_file = backup_dir / manifest["clickhouse"]["tables"]["events"]["file"]["path"]
    data = bytearray(events_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    events_file.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="does not match its checksum"):
        read_manifest(backup_dir)
    result = CliRunner().invoke(cli_app, ["backup", "restore", str(backup_dir), "--yes"])
    assert result.exit_code == 1
    assert "damaged" in result.output


def test_cli_create_writes_a_manifest(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["backup", "create", "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout[result.stdout.index("{") :])
    assert out["rows"]["postgres.alembic_version"] == 1
    assert (tmp_path / "b" / "manifest.json").exists()
    again = CliRunner().invoke(cli_app, ["backup", "create", "--out", str(tmp_path / "b")])
    assert again.exit_code == 1
    assert "not empty" in again.output


def test_unreachable_postgres_fails_cleanly_and_leaves_no_partial_backup(tmp_path: Path) -> None:
    down = get_settings().model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:9/virtualagent"})
    target = tmp_path / "partial"
    with pytest.raises(BackupError, match="cannot reach PostgreSQL"):
        create_backup(target, down)
    assert list(target.iterdir()) == []
