"""The container's web entry point: serve the pre-built console and the API on one port.

Why not ``va run``: it starts embedded PostgreSQL and Redis when their URLs are unset, and
migrates and seeds before serving; a replica must do none of that (migrations are a separate
one-shot job, backends are given by URL). Why not ``reflex run --env prod --single-port``: it
recompiles the pages and rebuilds the frontend with bun on every start (a minute per replica,
and bun in the runtime image); ``--backend-only`` would skip the build but then does not mount
the frontend. So this script does what ``reflex run --env prod --single-port`` does *after*
its build step: it serves the frontend built into the image at build time (``reflex export
--frontend-only --no-zip``) and the backend together through Granian, without compiling.
It relies on ``reflex.utils.exec.run_backend_prod`` of the pinned reflex (0.10.1).

Workers: ``GRANIAN_WORKERS`` (default 2). Reflex keeps per-tab state in Redis
(``REFLEX_REDIS_URL``, defaulting to ``REDIS_URL``), so any worker of any replica can serve
any tab. A ``chdb://`` ClickHouse URL is accepted only for a single-container install: chDB
allows one owning process, so the worker count is forced to 1 and the pod must not be scaled.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL", "SECRET_KEY")


def _fail(message: str) -> int:
    sys.stderr.write(f"serve_web: {message}\n")
    return 2


def prepare_environment(env: dict[str, str]) -> str | None:
    """Fill in the Reflex and server variables; return an error message when misconfigured."""
    missing = [name for name in REQUIRED if not env.get(name)]
    if missing:
        return f"set {', '.join(missing)}: the web image starts no embedded backend"
    env.setdefault("REFLEX_REDIS_URL", env["REDIS_URL"])
    env.setdefault("REFLEX_ENV_MODE", "prod")
    env.setdefault("REFLEX_TELEMETRY_ENABLED", "0")
    env.setdefault("REFLEX_CHECK_LATEST_VERSION", "0")
    env.setdefault("GRANIAN_WORKERS", "2")
    if env["CLICKHOUSE_URL"].startswith("chdb://"):
        sys.stderr.write("serve_web: embedded chDB: one worker, this replica must not be scaled out\n")
        env["GRANIAN_WORKERS"] = "1"
    return None


def main() -> int:
    error = prepare_environment(os.environ)  # type: ignore[arg-type]
    if error:
        return _fail(error)
    os.chdir(APP_ROOT)
    sys.path.insert(0, str(APP_ROOT))
    if not (APP_ROOT / ".web" / "build" / "client").is_dir():
        return _fail(f"no frontend build under {APP_ROOT / '.web'}: the image build step did not run")

    from reflex.utils import exec as reflex_exec
    from reflex_base.config import get_config
    from reflex_base.constants.base import LogLevel
    from reflex_base.environment import environment

    environment.REFLEX_SKIP_COMPILE.set(True)  # pages were compiled at image build time
    port = int(os.environ.get("PORT", "3000"))
    level = LogLevel.from_string(os.environ.get("LOG_LEVEL")) or LogLevel.INFO
    reflex_exec.run_backend_prod(get_config().backend_host, port, level, mount_frontend_compiled_app=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
