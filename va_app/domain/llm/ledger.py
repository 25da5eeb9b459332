"""Atomic budget reservations in Redis (Lua), so concurrent calls can never overshoot.

Before a provider call the router reserves the call's cost bound (its prompt plus the output
cap of the model it is about to call, at that model's price) against every budget
that applies (tenant, API key, agent; daily and monthly). One script checks all hard
budgets and, only if none would be exceeded by ``settled + reserved + amount``, records the
reservation on all of them. After the call, a second script swaps the reservation for the
actual cost and reports newly crossed alert thresholds (each once per budget and period).
Reservations carry an expiry: when a process dies mid-call the next reservation on that
budget frees them. Amounts are integers in nano-dollars (Lua numbers are doubles; integers
stay exact up to ~9 million USD).

The budget rules themselves are mirrored into one Redis hash per tenant by ``budgets.py``, so
the check needs one round trip and no database. Keys share the ``{tenant}`` hash tag.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from core import keys
from core.cache import get_redis

NANO = 1_000_000_000
THRESHOLDS = (50, 80, 100)

RESERVE_LUA = """
local rules = redis.call('HGETALL', KEYS[1])
if #rules == 0 then return {-1} end
local amount = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local matched = {}
for i = 1, #rules, 2 do
  local id = rules[i]
  if id ~= '_loaded' then
    local scope, sid, period, limit, hard = string.match(rules[i + 1], '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    if scope == 'tenant' or (scope == 'key' and sid ~= '' and sid == ARGV[2])
        or (scope == 'agent' and sid ~= '' and sid == ARGV[3]) then
      local pid, ttl = ARGV[9], ARGV[11]
      if period == 'daily' then pid, ttl = ARGV[8], ARGV[10] end
      local base = ARGV[1] .. id .. ':' .. pid
      local expired = redis.call('ZRANGEBYSCORE', base .. ':r', '-inf', now)
      for _, rid in ipairs(expired) do
        local amt = redis.call('HGET', base .. ':a', rid)
        if amt then
          redis.call('HINCRBY', base, 'reserved', -tonumber(amt))
          redis.call('HDEL', base .. ':a', rid)
        end
      end
      if #expired > 0 then redis.call('ZREMRANGEBYSCORE', base .. ':r', '-inf', now) end
      local settled = tonumber(redis.call('HGET', base, 'settled') or '0')
      local reserved = tonumber(redis.call('HGET', base, 'reserved') or '0')
      if hard == '1' and settled + reserved + amount > tonumber(limit) then
        return {0, id, period, limit, tostring(settled + reserved), tostring(settled)}
      end
      table.insert(matched, {base, limit, ttl, hard})
    end
  end
end
local out = {1}
for _, m in ipairs(matched) do
  local base = m[1]
  redis.call('HINCRBY', base, 'reserved', amount)
  redis.call('ZADD', base .. ':r', now + tonumber(ARGV[7]), ARGV[6])
  redis.call('HSET', base .. ':a', ARGV[6], amount)
  redis.call('EXPIRE', base, m[3])
  redis.call('EXPIRE', base .. ':r', m[3])
  redis.call('EXPIRE', base .. ':a', m[3])
  table.insert(out, base)
  table.insert(out, m[2])
  table.insert(out, m[4])
end
return out
"""

SETTLE_LUA = """
local out = {}
local actual = tonumber(ARGV[2])
for i, base in ipairs(KEYS) do
  local amt = redis.call('HGET', base .. ':a', ARGV[1])
  if amt then
    redis.call('HINCRBY', base, 'reserved', -tonumber(amt))
    redis.call('HDEL', base .. ':a', ARGV[1])
    redis.call('ZREM', base .. ':r', ARGV[1])
  end
  local settled
  if actual > 0 then
    settled = redis.call('HINCRBY', base, 'settled', actual)
  else
    settled = tonumber(redis.call('HGET', base, 'settled') or '0')
  end
  local limit = tonumber(ARGV[2 + i])
  if actual > 0 and limit > 0 then
    for _, t in ipairs({50, 80, 100}) do
      if settled * 100 >= limit * t and redis.call('HSETNX', base, 'alert' .. t, '1') == 1 then
        table.insert(out, i)
        table.insert(out, t)
        table.insert(out, tostring(settled))
      end
    end
  end
end
return out
"""


def to_nano(usd: float) -> int:
    return math.ceil(round(usd * NANO, 3))


def rules_key(tenant_id: str) -> str:
    return keys.llm_budget_rules(tenant_id)


def budget_prefix(tenant_id: str) -> str:
    return keys.llm_budget_prefix(tenant_id)


def period_ids(now: dt.datetime) -> tuple[str, str]:
    return now.strftime("%Y-%m-%d"), now.strftime("%Y-%m")


def period_end(period: str, now: dt.datetime) -> dt.datetime:
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "daily":
        return start_of_day + dt.timedelta(days=1)
    first = start_of_day.replace(day=1)
    return (first + dt.timedelta(days=32)).replace(day=1)


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    tenant_id: str
    amount_nano: int
    bases: tuple[str, ...]
    limits_nano: tuple[int, ...]
    hard: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class Refusal:
    budget_id: str
    period: str
    limit_nano: int
    committed_nano: int  # settled + reserved at the moment of refusal
    settled_nano: int = 0  # of which settled (real spend)
    amount_nano: int = 0  # what the refused call asked for

    @property
    def contended(self) -> bool:
        """Refused only because of other calls' open reservations: once they settle (each
        releases what it did not spend) this call may fit, so it is worth waiting for them."""
        return self.committed_nano > self.settled_nano and self.settled_nano + self.amount_nano <= self.limit_nano


@dataclass(frozen=True, slots=True)
class Crossing:
    budget_id: str
    period_id: str
    threshold: int
    settled_nano: int
    limit_nano: int


class RulesMissing(Exception):
    """The tenant's rules are not in Redis (first use, or Redis restarted): load and retry."""


class Ledger:
    """The two scripts, registered once per client (EVALSHA, falling back to EVAL)."""

    def __init__(self, reservation_ttl_s: int = 300) -> None:
        self.reservation_ttl_ms = reservation_ttl_s * 1000
        self._scripts: dict[int, tuple[Any, Any]] = {}

    def _for(self, client: aioredis.Redis) -> tuple[Any, Any]:
        scripts = self._scripts.get(id(client))
        if scripts is None:
            scripts = self._scripts[id(client)] = (
                client.register_script(RESERVE_LUA),
                client.register_script(SETTLE_LUA),
            )
        return scripts

    async def reserve(
        self, tenant_id: str, key_id: str | None, agent_id: str | None, amount_nano: int, now: dt.datetime
    ) -> Reservation | Refusal | None:
        """A reservation, a refusal (a hard budget would be exceeded), or None (no budget applies)."""
        client = get_redis()
        reserve, _ = self._for(client)
        day, month = period_ids(now)
        res_id = uuid.uuid4().hex
        reply = await reserve(
            keys=[rules_key(tenant_id)],
            args=[
                budget_prefix(tenant_id),
                key_id or "",
                agent_id or "",
                amount_nano,
                int(now.timestamp() * 1000),
                res_id,
                self.reservation_ttl_ms,
                day,
                month,
                3 * 86400,
                40 * 86400,
            ],
        )
        status = int(reply[0])
        if status == -1:
            raise RulesMissing(tenant_id)
        if status == 0:
            return Refusal(
                _s(reply[1]),
                _s(reply[2]),
                int(_s(reply[3])),
                int(float(_s(reply[4]))),
                int(float(_s(reply[5]))),
                amount_nano,
            )
        if len(reply) == 1:
            return None
        triples = [reply[i : i + 3] for i in range(1, len(reply), 3)]
        return Reservation(
            id=res_id,
            tenant_id=tenant_id,
            amount_nano=amount_nano,
            bases=tuple(_s(t[0]) for t in triples),
            limits_nano=tuple(int(_s(t[1])) for t in triples),
            hard=tuple(_s(t[2]) == "1" for t in triples),
        )

    async def settle(self, reservation: Reservation, actual_nano: int) -> list[Crossing]:
        """Replace the reservation by the actual cost (0 releases it); returns new alert crossings."""
        _, settle = self._for(get_redis())
        reply = await settle(
            keys=list(reservation.bases), args=[reservation.id, max(actual_nano, 0), *reservation.limits_nano]
        )
        crossings = []
        for i in range(0, len(reply), 3):
            index = int(reply[i]) - 1
            base = reservation.bases[index]
            budget_id, period_id = base.rsplit(":", 2)[-2:]
            crossings.append(
                Crossing(budget_id, period_id, int(reply[i + 1]), int(_s(reply[i + 2])), reservation.limits_nano[index])
            )
        return crossings


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
