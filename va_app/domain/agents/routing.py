"""Which version answers a conversation: consistent hashing into 10 000 buckets.

A conversation (or, when known, an end user) hashes to a bucket in ``0..9999`` with
BLAKE2b over ``agent_id:key``. The hash is keyed by nothing process-local, so every replica,
and every restart, puts the same conversation in the same bucket. Including the agent id
decorrelates agents: a user in the canary slice of one agent is not also in the canary slice
of every other agent.

Arms are laid out candidate first: a candidate at p % owns buckets ``[0, 100 p)``. When a
gradual rollout grows p, the candidate's buckets are a superset of the old ones, so nobody
who already saw the candidate goes back to the stable version. Conversations that started on
the stable version are additionally *pinned* by the resolver (Redis), so raising p never
moves a conversation mid-way either.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

BUCKETS = 10_000


def bucket(agent_id: str, sticky_key: str) -> int:
    """A stable bucket in ``0..BUCKETS-1``; same inputs, same bucket, on any machine."""
    digest = hashlib.blake2b(f"{agent_id}:{sticky_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def sticky_key(conversation_id: str, user_id: str | None = None) -> str:
    """The end user when known (one user sees one version across conversations), else the conversation."""
    if user_id:
        return f"u:{user_id}"
    if not conversation_id:
        raise ValueError("a conversation id or a user id is needed to route traffic")
    return f"c:{conversation_id}"


@dataclass(frozen=True)
class RouteTable:
    """What one agent serves in one environment: the routing input, cached as a dict.

    ``variants`` (an experiment) win over ``candidate``/``stable`` (a rollout) while set.
    """

    environment: str
    stable: int | None
    candidate: int | None = None
    candidate_percent: int = 0
    variants: tuple[tuple[int, int], ...] = ()
    experiment_id: str | None = None
    active: bool = True
    draining: tuple[int, ...] = ()  # served only to conversations already pinned to them
    # The environment's current deployment row: every turn event names it, so a figure can be
    # traced to the rollout (or stable release) that served it. None while nothing is deployed.
    deployment_id: str | None = None

    def arms(self) -> tuple[tuple[int, int], ...]:
        """``(version, buckets)`` pairs that add up to :data:`BUCKETS`, candidate first."""
        if self.variants:
            return _scale(self.variants)
        if self.candidate is not None and self.candidate_percent > 0 and self.candidate != self.stable:
            if self.stable is None or self.candidate_percent >= 100:
                return ((self.candidate, BUCKETS),)
            share = self.candidate_percent * BUCKETS // 100
            return ((self.candidate, share), (self.stable, BUCKETS - share))
        if self.stable is None:
            return ()
        return ((self.stable, BUCKETS),)

    def versions(self) -> set[int]:
        """Versions this table may serve (a pin to anything else is stale)."""
        return {version for version, share in self.arms() if share > 0}

    def pinnable(self) -> set[int]:
        """Versions a pinned conversation may stay on: the live arms plus the drained stable."""
        return self.versions() | set(self.draining)

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "stable": self.stable,
            "candidate": self.candidate,
            "candidate_percent": self.candidate_percent,
            "variants": [list(v) for v in self.variants],
            "experiment_id": self.experiment_id,
            "active": self.active,
            "draining": list(self.draining),
            "deployment_id": self.deployment_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RouteTable:
        return cls(
            environment=data["environment"],
            stable=data.get("stable"),
            candidate=data.get("candidate"),
            candidate_percent=int(data.get("candidate_percent") or 0),
            variants=tuple((int(v), int(p)) for v, p in data.get("variants") or ()),
            experiment_id=data.get("experiment_id"),
            active=bool(data.get("active", True)),
            draining=tuple(int(v) for v in data.get("draining") or ()),
            deployment_id=data.get("deployment_id"),  # absent from tables cached by an older release
        )


def _scale(variants: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Percent splits to bucket counts; rounding leftovers go to the first arm so the sum is exact."""
    shares = [(version, percent * BUCKETS // 100) for version, percent in variants]
    leftover = BUCKETS - sum(s for _, s in shares)
    if shares:
        shares[0] = (shares[0][0], shares[0][1] + leftover)
    return tuple(shares)


def choose(arms: Sequence[tuple[int, int]], bucket_: int) -> int:
    """The version whose bucket range holds ``bucket_``."""
    if not arms:
        raise ValueError("nothing is deployed")
    upper = 0
    for version, share in arms:
        upper += share
        if bucket_ < upper:
            return version
    return arms[-1][0]


def route(table: RouteTable, agent_id: str, conversation_id: str, user_id: str | None = None) -> int:
    """The version for this conversation under ``table`` (no pins: the pure part)."""
    return choose(table.arms(), bucket(agent_id, sticky_key(conversation_id, user_id)))
