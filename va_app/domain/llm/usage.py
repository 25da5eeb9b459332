"""Per-period counters of every call's tokens and cost, attributed to whoever pays.

One Redis hash per tenant and period (day and month), one pipelined round trip per call.
Fields: ``calls``, ``prompt_tokens``, ``completion_tokens``, ``cost_nano`` in total, and
``<dimension>:<id>:cost_nano`` / ``:calls`` for agent, agent version, API key, end user and
model. The conversation runtime also publishes ``conversation.logs`` with the cost, which is
what long-term analytics reads; these counters answer "how much so far today" instantly.
"""

from __future__ import annotations

import datetime as dt

from core import keys
from core.cache import awaited, get_redis
from va_app.domain.llm.contracts import Attribution
from va_app.domain.llm.ledger import NANO, period_ids, to_nano

_TTL = {"d": 8 * 86400, "m": 400 * 86400}


def usage_key(tenant_id: str, kind: str, period_id: str) -> str:
    return keys.llm_usage(tenant_id, kind, period_id)


def _dimensions(attribution: Attribution, model: str) -> list[str]:
    dims = [f"model:{model}"]
    if attribution.agent_id:
        dims.append(f"agent:{attribution.agent_id}")
        if attribution.version is not None:
            dims.append(f"version:{attribution.agent_id}:{attribution.version}")
    if attribution.key_id:
        dims.append(f"key:{attribution.key_id}")
    if attribution.end_user_id:
        dims.append(f"user:{attribution.end_user_id}")
    return dims


class UsageRecorder:
    async def record(
        self, attribution: Attribution, model: str, prompt_tokens: int, completion_tokens: int, cost_usd: float
    ) -> None:
        tenant = str(attribution.tenant_id)
        day, month = period_ids(dt.datetime.now(dt.UTC))
        cost = to_nano(cost_usd)
        async with get_redis().pipeline(transaction=False) as pipe:
            for kind, period_id in (("d", day), ("m", month)):
                key = usage_key(tenant, kind, period_id)
                pipe.hincrby(key, "calls", 1)
                pipe.hincrby(key, "prompt_tokens", prompt_tokens)
                pipe.hincrby(key, "completion_tokens", completion_tokens)
                pipe.hincrby(key, "cost_nano", cost)
                for dim in _dimensions(attribution, model):
                    pipe.hincrby(key, f"{dim}:cost_nano", cost)
                    pipe.hincrby(key, f"{dim}:calls", 1)
                pipe.expire(key, _TTL[kind])
            await pipe.execute()


async def totals(tenant_id: str, now: dt.datetime | None = None) -> dict[str, dict[str, object]]:
    """``{"today": {...}, "month": {...}}``: totals and cost by dimension, in USD."""
    day, month = period_ids(now or dt.datetime.now(dt.UTC))
    out: dict[str, dict[str, object]] = {}
    for label, kind, period_id in (("today", "d", day), ("month", "m", month)):
        raw: dict[bytes, bytes] = await awaited(get_redis().hgetall(usage_key(tenant_id, kind, period_id)))
        fields = {k.decode(): int(v) for k, v in raw.items()}
        by: dict[str, dict[str, float]] = {}
        for name, value in fields.items():
            if name.endswith(":cost_nano"):
                dim, _, ident = name[: -len(":cost_nano")].partition(":")
                by.setdefault(dim, {})[ident] = round(value / NANO, 9)
        out[label] = {
            "period_id": period_id,
            "calls": fields.get("calls", 0),
            "prompt_tokens": fields.get("prompt_tokens", 0),
            "completion_tokens": fields.get("completion_tokens", 0),
            "cost_usd": round(fields.get("cost_nano", 0) / NANO, 9),
            "cost_by": by,
        }
    return out
