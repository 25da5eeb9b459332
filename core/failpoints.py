"""Failpoints: crash the process at a named point, for fault tests only.

``VA_FAILPOINTS="ingest.after_write=3"`` makes the third pass through
``hit("ingest.after_write")`` send SIGKILL to this process, i.e. ``kill -9`` at exactly the
worst moment (data written, not yet acknowledged). Unset in every real deployment; a hit
then costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def _targets() -> dict[str, int]:
    spec = os.environ.get("VA_FAILPOINTS", "")
    targets: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, count = part.partition("=")
        targets[name] = int(count or 1)
    return targets


_TARGETS = _targets()


def hit(name: str) -> None:
    target = _TARGETS.get(name)
    if target is None:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= target:
        os.kill(os.getpid(), signal.SIGKILL)
