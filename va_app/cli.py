"""The ``va`` command: run the platform, check it, migrate, seed.

``va run`` is what ``make run`` calls after the install step: it starts the embedded
servers a configuration needs, migrates, seeds the demo tenant, then serves the production
build of the console and API on one port. Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.config import PROJECT_ROOT, get_settings
from core.logs import configure_logging

app = typer.Typer(help="VirtualAgent: agents, deployments, LLM routing and analytics for many tenants.")
db_app = typer.Typer(help="Schema migrations: PostgreSQL (Alembic) and the ClickHouse analytics schema.")
demo_app = typer.Typer(help="Demo data.")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
tenant_app = typer.Typer(help="Tenants.")
user_app = typer.Typer(help="Users.")
apikey_app = typer.Typer(help="API keys.")
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
backup_app = typer.Typer(help="Back up and restore PostgreSQL and ClickHouse (see the README runbook).")
app.add_typer(backup_app, name="backup")
analytics_app = typer.Typer(help="The analytics store: reconcile every rollup with the raw events.")
app.add_typer(analytics_app, name="analytics")
console = Console(stderr=True)


def _reflex_env(port: int) -> dict[str, str]:
    tools = PROJECT_ROOT / ".tools"
    env = dict(os.environ)
    env["PATH"] = (
        f"{tools / 'node_modules' / '.bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    )
    env.update(
        {
            "PORT": str(port),
            "REFLEX_TELEMETRY_ENABLED": "0",
            "REFLEX_CHECK_LATEST_VERSION": "0",
            "BUN_INSTALL_CACHE_DIR": str(tools / "bun-cache"),
            "BUN_RUNTIME_TRANSPILER_CACHE_PATH": str(tools / "bun-transpiler-cache"),
            "REFLEX_DIR": str(tools / "reflex"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _kill_stale_web(pid_file: Path) -> None:
    """A crashed earlier run may have left the web server holding the port: end it."""
    import psutil

    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().strip())
        proc = psutil.Process(pid)
        if "reflex" in " ".join(proc.cmdline()):
            console.print(f"[yellow]stopping web server left by an earlier run (pid {pid})[/]")
            os.killpg(pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except psutil.TimeoutExpired:
                os.killpg(pid, signal.SIGKILL)
    except (ValueError, psutil.NoSuchProcess, ProcessLookupError, PermissionError):
        pass
    pid_file.unlink(missing_ok=True)


@app.command()
def run(
    port: Annotated[int, typer.Option(help="Port for console and API (one port).")] = 0,
    setup: Annotated[bool, typer.Option(help="Migrate and seed the demo tenant before serving.")] = True,
) -> None:
    """Start the embedded backends, migrate, seed, and serve console + API on one port."""
    from core.services import ServiceError, embedded_servers, port_open

    settings = get_settings()
    port = port or settings.port
    configure_logging(settings.log_level, json_lines=False)
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    pid_file = settings.run_dir / f"web-{port}.pid"
    _kill_stale_web(pid_file)
    if port_open(port):
        console.print(f"[red]port {port} is already in use by another program; set PORT or stop it[/]")
        raise typer.Exit(2)

    servers = embedded_servers(settings)
    try:
        for server in servers:
            with console.status(f"starting embedded {type(server).__name__.removeprefix('Embedded')}..."):
                server.start()
            console.print(f"[green]✓[/] {type(server).__name__.removeprefix('Embedded')} on {server.url}")
        # The children derive the same embedded URLs from the same settings, and so still
        # report those backends as embedded.
        env = _reflex_env(port)
        if setup:
            with console.status("migrating and seeding the demo tenant..."):
                subprocess.run(
                    [sys.executable, "-m", "va_app.cli", "db", "upgrade"], env=env, check=True, cwd=PROJECT_ROOT
                )
                subprocess.run(
                    [sys.executable, "-m", "va_app.cli", "demo", "seed"], env=env, check=True, cwd=PROJECT_ROOT
                )
            console.print("[green]✓[/] migrations applied, demo tenant seeded")
    except (ServiceError, subprocess.CalledProcessError) as exc:
        console.print(f"[red]set-up failed:[/] {exc}")
        for server in reversed(servers):
            server.stop()
        raise typer.Exit(1) from exc

    console.print(f"building and starting the console + API on http://localhost:{port} ...")
    web = subprocess.Popen(
        [sys.executable, "-m", "reflex", "run", "--env", "prod", "--single-port", "--loglevel", "warning"],
        env=env,
        cwd=PROJECT_ROOT,
        start_new_session=True,
    )
    pid_file.write_text(str(web.pid))
    stopping = {"flag": False}

    def _stop(_signum: int, _frame: object) -> None:
        stopping["flag"] = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        while web.poll() is None and not stopping["flag"]:
            time.sleep(0.2)
        if web.poll() is not None and not stopping["flag"]:
            code = web.returncode or 1
            console.print(f"[red]web server exited with code {web.returncode}[/]")
    finally:
        console.print("stopping...")
        if web.poll() is None:
            try:
                os.killpg(web.pid, signal.SIGTERM)
                web.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(web.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pid_file.unlink(missing_ok=True)
        for server in reversed(servers):
            server.stop()
        console.print("[green]stopped[/]")
    raise typer.Exit(code)


@app.command()
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Backend readiness (like /readyz), human-readable."""
    from va_app.domain.status.backends import platform_status

    configure_logging("WARNING", json_lines=False)
    settings = get_settings()
    if settings.clickhouse_embedded:
        served = _status_from_running_app(settings.port)
        if served is not None:
            # chDB has one owner: while `va run` serves, ask it rather than open chDB here.
            _print_status(served, as_json)
            raise typer.Exit(0 if served.get("status") == "ready" else 1)
    result = asyncio.run(platform_status())
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        table = Table(title="VirtualAgent backends")
        for col in ("backend", "role", "state", "version", "latency", "mode"):
            table.add_column(col)
        for b in result.backends:
            state = "[green]up[/]" if b.ok else f"[red]down[/] {b.error}"
            mode = "embedded" if b.embedded else "external"
            table.add_row(b.name, b.kind, state, b.version, f"{b.latency_ms:.1f} ms", mode)
        Console().print(table)
        counts = ", ".join(f"{k}={'?' if v is None else v}" for k, v in result.counts.items())
        Console().print(f"counts: {counts}")
    raise typer.Exit(0 if result.ready else 1)


def _status_from_running_app(port: int) -> dict[str, Any] | None:
    import httpx

    try:
        resp = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    except httpx.HTTPError:
        return None
    if resp.headers.get("content-type", "").startswith("application/json"):
        body = resp.json()
        return body if isinstance(body, dict) and "backends" in body else None
    return None


def _print_status(body: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(body, indent=2))
        return
    table = Table(title=f"VirtualAgent backends (from the running app: {body.get('status')})")
    for col in ("backend", "role", "state", "version", "latency", "mode"):
        table.add_column(col)
    for name, b in body.get("backends", {}).items():
        state = "[green]up[/]" if b.get("ok") else f"[red]down[/] {b.get('error', '')}"
        mode = "embedded" if b.get("embedded") else "external"
        table.add_row(name, b.get("kind", ""), state, b.get("version", ""), f"{b.get('latency_ms', 0):.1f} ms", mode)
    Console().print(table)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="PostgreSQL revision")] = "head",
    store: Annotated[str, typer.Option(help="all, postgres or clickhouse")] = "all",
) -> None:
    """Apply PostgreSQL migrations up to REVISION (default: head) and the ClickHouse schema.

    The one schema step before any web replica or ingest worker starts (the Helm migrations
    hook and the compose ``migrate`` service run it), so workers never create tables.
    """
    if store not in ("all", "postgres", "clickhouse"):
        raise typer.BadParameter("store must be all, postgres or clickhouse", param_hint="--store")
    if store in ("all", "postgres"):
        from models.migrate import current, upgrade

        upgrade(revision)
        typer.echo(f"database at revision {current()}")
    if store in ("all", "clickhouse"):
        from analytics.schema import apply_schema

        applied = apply_schema()
        typer.echo(f"analytics schema: {len(applied)} migration(s) applied")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Revert migrations down to REVISION (e.g. -1 or base)."""
    from models.migrate import current, downgrade

    downgrade(revision)
    typer.echo(f"database at revision {current()}")


@db_app.command("current")
def db_current() -> None:
    """Print the current migration revision."""
    from models.migrate import current

    typer.echo(current() or "base")


@demo_app.command("seed")
def demo_seed() -> None:
    """Create (or refresh) the demo tenant, its agents, knowledge, budgets and demo traffic. Idempotent."""
    from va_app.admin.demo.seed import seed_demo

    configure_logging("WARNING", json_lines=False)
    summary = asyncio.run(seed_demo())
    typer.echo(json.dumps(summary, indent=2, default=str))


def _fail(exc: Exception) -> None:
    from va_app.domain.errors import DomainError

    if isinstance(exc, DomainError):
        typer.echo(json.dumps({"error": {"code": exc.code, "message": exc.message}}), err=True)
        raise typer.Exit(1) from exc
    raise exc


async def _tenant_principal(slug: str, label: str):  # type: ignore[no-untyped-def]
    from core import db
    from va_app.domain.errors import NotFound
    from va_app.domain.identity.principal import system_principal

    async with db.session_scope() as session:
        from models.repositories import tenants as tenants_repo

        tenant = await tenants_repo.get_tenant_by_slug(session=session, slug=slug)
        if tenant is None:
            raise NotFound(f"no tenant '{slug}'")
        return system_principal(tenant.id, label, "cli")


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Argument(help="Display name, e.g. 'Acme Hotels'.")],
    owner_email: Annotated[str, typer.Option("--owner-email", help="Owner's email.")],
    slug: Annotated[str | None, typer.Option(help="URL-safe id; derived from NAME when omitted.")] = None,
    plan: Annotated[str, typer.Option(help="free | team | enterprise")] = "team",
) -> None:
    """Create a tenant with its owner; prints JSON with the owner's API key (shown once)."""
    from va_app.domain.identity.tenants import provision_tenant

    configure_logging("WARNING", json_lines=False)
    try:
        result = asyncio.run(provision_tenant(None, name=name, owner_email=owner_email, slug=slug, plan=plan))
    except Exception as exc:
        _fail(exc)
        return
    out = {
        "tenant_id": str(result.tenant_id),
        "slug": result.slug,
        "owner_user_id": str(result.owner_user_id),
        "owner_email": result.owner_email,
        "owner_api_key": result.owner_api_key,
    }
    if result.owner_temporary_password:
        out["owner_temporary_password"] = result.owner_temporary_password
    typer.echo(json.dumps(out, indent=2))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument()],
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug.")],
    role: Annotated[str, typer.Option(help="owner | admin | developer | analyst | viewer")] = "viewer",
    name: Annotated[str, typer.Option(help="Full name.")] = "",
) -> None:
    """Add a user to a tenant; prints a temporary password for a new user (shown once)."""
    from va_app.domain.identity.users import invite_member

    configure_logging("WARNING", json_lines=False)

    async def _run():  # type: ignore[no-untyped-def]
        principal = await _tenant_principal(tenant, "va user create")
        return await invite_member(principal, email=email, role=role, full_name=name)

    try:
        invitation = asyncio.run(_run())
    except Exception as exc:
        _fail(exc)
        return
    out = {"user_id": invitation.member.user_id, "email": invitation.member.email, "role": invitation.member.role}
    if invitation.temporary_password:
        out["temporary_password"] = invitation.temporary_password
    typer.echo(json.dumps(out, indent=2))


@apikey_app.command("create")
def apikey_create(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant slug.")],
    role: Annotated[str, typer.Option(help="owner | admin | developer | analyst | viewer | superadmin")],
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli key",
) -> None:
    """Create an API key; prints it once."""
    from va_app.domain.identity.api_keys import create_api_key, describe

    configure_logging("WARNING", json_lines=False)

    async def _run():  # type: ignore[no-untyped-def]
        principal = await _tenant_principal(tenant, "va apikey create")
        return await create_api_key(principal, name=name, role=role)

    try:
        created = asyncio.run(_run())
    except Exception as exc:
        _fail(exc)
        return
    typer.echo(json.dumps({**describe(created.key), "key": created.secret}, indent=2, default=str))


@demo_app.command("generate")
def demo_generate(
    events: Annotated[int, typer.Option("--events", help="How many events.")] = 1_000_000,
    days: Annotated[float, typer.Option("--days", help="Spread over the last DAYS days.")] = 7,
    tenants: Annotated[int, typer.Option("--tenants", help="Synthetic tenants (plus the demo tenant).")] = 20,
    agents: Annotated[int, typer.Option("--agents", help="Agents per synthetic tenant.")] = 5,
    through_pipeline: Annotated[
        bool, typer.Option("--through-pipeline", help="Publish on the bus for the ingest worker instead.")
    ] = False,
    incident: Annotated[
        list[str] | None,
        typer.Option(help="AGENT_ID:HOURS_AGO:DURATION_MIN — an error/latency burst (repeatable)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
) -> None:
    """Realistic synthetic traffic (daily/weekly cycles, intents, channels, model mix, incidents)."""
    from va_app.admin.demo.traffic import TrafficRequest, generate_traffic

    configure_logging("WARNING", json_lines=False)
    request = TrafficRequest(events, days, tenants, agents, through_pipeline, list(incident or []), seed)
    try:
        summary = asyncio.run(generate_traffic(request, console))
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(summary, indent=2))


@analytics_app.command("verify")
def analytics_verify(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Tenant slug (default: every tenant).")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="7d, 24h, 90m, 2w or an ISO date/time (default 1d); whole days.")
    ] = None,
    repair: Annotated[bool, typer.Option("--repair", help="Rebuild drifted buckets from the raw events.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute every rollup from the raw events; report drift per table and bucket (exit 1 on drift)."""
    from va_app.domain.dashboards.reconcile import verify_analytics

    configure_logging("WARNING", json_lines=False)
    try:
        report = asyncio.run(verify_analytics(tenant, since, repair=repair))
    except Exception as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        table = Table("table", "buckets checked", "drifted", "repaired")
        for name, checked in report.buckets.items():
            drifted = sum(1 for d in report.drift if d.table == name)
            table.add_row(name, str(checked), str(drifted), str(report.repaired.get(name, 0)))
        console.print(table)
        for d in report.drift[:50]:
            detail = ", ".join(f"{m} {d.stored.get(m, 0.0):g} != {d.expected[m]:g}" for m in d.metrics)
            console.print(f"[red]drift[/] {d.table} tenant {d.tenant_id} bucket {d.bucket.isoformat()}: {detail}")
        if len(report.drift) > 50:
            console.print(f"... and {len(report.drift) - 50} more drifted buckets (--json lists all)")
        console.print("[green]no drift[/]" if report.clean else f"[red]{len(report.drift)} drifted bucket(s)[/]")
    if not report.clean:
        raise typer.Exit(1)


@app.command("services")
def services(action: Annotated[str, typer.Argument(help="start | stop")]) -> None:
    """Start or stop the embedded PostgreSQL and Redis without the web server."""
    from core.services import embedded_servers

    for server in embedded_servers(get_settings()):
        if action == "start":
            server.start()
            typer.echo(f"{type(server).__name__}: {server.url}")
        elif action == "stop":
            server.stop()
        else:
            raise typer.BadParameter("action must be start or stop")


@contextlib.contextmanager
def _embedded_postgres_up() -> Iterator[None]:
    """With the embedded default, adopt the running PostgreSQL or start it for this command."""
    from core.services import EmbeddedPostgres

    settings = get_settings()
    if not settings.postgres_embedded:
        yield
        return
    server = EmbeddedPostgres(settings.postgres_data_dir, settings.postgres.embedded_port)
    server.start()
    try:
        yield
    finally:
        if server._started_here:
            server.stop()


@backup_app.command("create")
def backup_create(
    out: Annotated[
        Path | None, typer.Option("--out", help="New or empty directory (default DATA_DIR/backups/va-<time>).")
    ] = None,
) -> None:
    """Back up PostgreSQL (pg_dump) and ClickHouse (Native files) with a verified manifest."""
    from va_app.admin.backup.archive import BackupError, create_backup

    configure_logging("WARNING", json_lines=False)
    try:
        with _embedded_postgres_up():
            manifest = create_backup(out)
    except BackupError as exc:
        console.print(f"[red]backup failed:[/] {exc}")
        raise typer.Exit(1) from exc
    rows = {f"postgres.{k}": v["rows"] for k, v in manifest["postgres"]["tables"].items()}
    rows |= {f"clickhouse.{k}": v["rows"] for k, v in manifest["clickhouse"]["tables"].items()}
    typer.echo(json.dumps({"dir": manifest["dir"], "created_at": manifest["created_at"], "rows": rows}, indent=2))


@backup_app.command("restore")
def backup_restore(
    directory: Annotated[Path, typer.Argument(help="A directory written by `va backup create`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    allow_secret_mismatch: Annotated[
        bool, typer.Option("--allow-secret-mismatch", help="Restore even if SECRET_KEY differs from the backup's.")
    ] = False,
) -> None:
    """Replace both stores' contents with a backup, then verify counts and checksums."""
    from va_app.admin.backup.archive import BackupError, read_manifest, restore_backup

    configure_logging("WARNING", json_lines=False)
    try:
        manifest = read_manifest(directory)
    except BackupError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if not yes:
        typer.confirm(
            f"Replace ALL data in PostgreSQL and ClickHouse with the backup of {manifest['created_at']}? "
            "Stop web and ingest processes first.",
            abort=True,
        )
    try:
        with _embedded_postgres_up():
            report = restore_backup(directory, allow_secret_mismatch=allow_secret_mismatch)
    except BackupError as exc:
        console.print(f"[red]restore failed:[/] {exc}")
        raise typer.Exit(1) from exc
    typer.echo(json.dumps({"restored": str(report.backup_dir), "verified": True, "rows": report.rows}, indent=2))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
