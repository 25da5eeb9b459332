"""Rate limits in Redis: a sliding-window counter per key and per tenant, checked atomically.

One Lua script checks every scope and increments them only when all pass, so the limit is
exact across any number of web processes and a rejected request consumes nothing. The
sliding-window counter weighs the previous minute by how much of it still overlaps the
window, which avoids the double burst a fixed window allows at its edge.

Every key of one check carries the same Redis Cluster hash tag (``{shard}``, the tenant for
API requests), so the script's keys live in one slot and the check also runs on a cluster.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from core import cache, keys

WINDOW_MS = 60_000
DEFAULT_KEY_LIMIT = 1000
DEFAULT_TENANT_LIMIT = 10_000

_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = (#KEYS) / 2
local cur_start = now - (now % window)
local weight = (window - (now - cur_start)) / window
local worst_remaining = nil
local worst_limit = 0
for i = 1, n do
  local limit = tonumber(ARGV[2 + i])
  local cur = tonumber(redis.call('GET', KEYS[2*i-1]) or '0')
  local prev = tonumber(redis.call('GET', KEYS[2*i]) or '0')
  local used = prev * weight + cur
  if used + 1 > limit then
    local retry_ms = cur_start + window - now
    if cur < limit and prev > 0 then
      -- wait until the previous window's weight has decayed enough for one more request
      local needed = (limit - cur - 1) * window / prev
      retry_ms = math.max(1, (window - (now - cur_start)) - needed)
    end
    return {0, i, limit, 0, math.ceil(retry_ms), cur_start + window - now}
  end
  local remaining = math.floor(limit - used - 1)
  if worst_remaining == nil or remaining < worst_remaining then
    worst_remaining = remaining
    worst_limit = limit
  end
end
for i = 1, n do
  redis.call('INCR', KEYS[2*i-1])
  redis.call('PEXPIRE', KEYS[2*i-1], window * 2)
end
return {1, 0, worst_limit, worst_remaining, 0, cur_start + window - now}
"""


_scripts: dict[int, Any] = {}


@dataclass(frozen=True)
class Limit:
    scope: str  # e.g. "key:<id>" or "tenant:<id>"
    per_minute: int


@dataclass(frozen=True)
class LimitDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_s: int
    retry_after_s: int
    scope: str | None

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": str(self.reset_s),
        }


def window_keys(limits: list[Limit], window_index: int, shard: str) -> list[str]:
    """Current and previous window counters per limit, all under the hash tag ``{shard}``."""
    out: list[str] = []
    for limit in limits:
        base = keys.rate_limit(shard, limit.scope)
        out += [f"{base}:{window_index}", f"{base}:{window_index - 1}"]
    return out


async def check(limits: list[Limit], now_ms: int | None = None, *, shard: str | None = None) -> LimitDecision:
    """Count one request against every limit, or none of them when any is exhausted.

    ``shard`` (default: the first limit's scope) is the hash tag shared by every key; limits
    checked together must be given one, e.g. the tenant id.
    """
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    window = window_keys(limits, now // WINDOW_MS, shard if shard is not None else limits[0].scope)
    args = [now, WINDOW_MS, *[limit.per_minute for limit in limits]]
    redis = cache.get_redis()
    script = _scripts.get(id(redis))
    if script is None:
        script = _scripts[id(redis)] = redis.register_script(_SCRIPT)  # EVALSHA after the first call
    allowed, failed, limit_value, remaining, retry_ms, reset_ms = await script(keys=window, args=args)
    return LimitDecision(
        allowed=bool(allowed),
        limit=int(limit_value),
        remaining=int(remaining),
        reset_s=max(1, math.ceil(int(reset_ms) / 1000)),
        retry_after_s=max(1, math.ceil(int(retry_ms) / 1000)) if not allowed else 0,
        scope=limits[int(failed) - 1].scope if failed else None,
    )
