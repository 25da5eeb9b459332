"""Chat turns from the console's Try it tab: the same runtime as the API, the same limits.

API calls are counted per key and per tenant by the API's dependency; console turns carry a
session, not a key, so they are counted here per signed-in user and against the same tenant
limit. An operator's test loop therefore cannot spend what the tenant's users need.
"""

from __future__ import annotations

from analytics.queries.variants import OPERATOR_TEST_CHANNEL
from va_app.domain.conversations import runtime
from va_app.domain.conversations.turn import ChatInput, ChatOutput
from va_app.domain.errors import RateLimited
from va_app.domain.identity import ratelimit
from va_app.domain.identity.principal import Principal

CHANNEL = OPERATOR_TEST_CHANNEL  # kept out of rollout and experiment decisions
PER_USER_PER_MINUTE = 60  # far above a person typing, far below a runaway script


async def console_chat(principal: Principal, agent: str, inp: ChatInput) -> ChatOutput:
    """One turn for a console user, after the per-user and per-tenant rate limits."""
    who = principal.user_id or principal.actor_id
    decision = await ratelimit.check(
        [
            ratelimit.Limit(f"console-user:{who}", PER_USER_PER_MINUTE),
            ratelimit.Limit(
                f"tenant:{principal.tenant_id}",
                principal.tenant_rate_limit_per_minute or ratelimit.DEFAULT_TENANT_LIMIT,
            ),
        ],
        shard=str(principal.tenant_id),
    )
    if not decision.allowed:
        raise RateLimited(
            f"too many test messages: at most {decision.limit} a minute; try again in {decision.retry_after_s} s",
            retry_after_s=decision.retry_after_s,
        )
    return await runtime.chat(principal, agent, inp)
