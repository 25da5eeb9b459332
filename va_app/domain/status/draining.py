"""Draining: the window between "stop sending me traffic" and "this process has exited".

A load balancer routes to a replica while its readiness probe passes, so graceful shutdown
starts by failing ``/readyz`` (503 ``{"status": "draining"}``) while in-flight requests
finish. Two signals mean "draining", because a web pod runs several server worker
processes that share no memory:

* an in-process flag, set when this worker's lifespan shutdown begins (``runtime.shutdown``),
  so a request still in flight in that window sees the truth;
* a marker file ``<DATA_DIR>/run/draining``, which every worker of the pod sees at once. The
  Kubernetes ``preStop`` hook (and an operator, by hand) creates it *before* SIGTERM; the
  server then stops accepting, drains in-flight requests and runs the lifespan shutdown,
  which finishes the ingest batch in hand. A worker clears a stale marker when it starts.

``/healthz`` (liveness) is unaffected: a draining process is healthy, just leaving.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from core.config import get_settings

MARKER_NAME = "draining"

_since: float | None = None


def marker_path() -> Path:
    """Where the pod-wide marker lives: ``DATA_DIR/run/draining`` (one per pod or machine)."""
    return get_settings().run_dir / MARKER_NAME


def begin(*, pod_wide: bool = False) -> None:
    """Start draining this process; with ``pod_wide`` every worker sharing ``DATA_DIR`` too."""
    global _since
    if _since is None:
        _since = time.monotonic()
    if pod_wide:
        path = marker_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()


def is_draining() -> bool:
    """True once :func:`begin` ran here or the marker file exists (checked on every probe)."""
    return _since is not None or marker_path().exists()


def draining_for_s() -> float | None:
    """Seconds since this process began draining (``None`` when only the marker says so)."""
    return None if _since is None else round(time.monotonic() - _since, 3)


def reset() -> None:
    """Serve again: clear the flag and a stale marker (a restarted container reuses its volume)."""
    global _since
    _since = None
    with contextlib.suppress(FileNotFoundError):
        marker_path().unlink()
