"""The health check's synthetic conversation: one real turn through the whole runtime.

It runs as the tenant's system principal on the health check's probe conversation (so it
talks to the version the check resolved), skips the caches (a cached answer would hide a
broken provider) and records nothing: no context, no turn event, no handoff ticket.
"""

from __future__ import annotations

import uuid

from va_app.domain.agents import health
from va_app.domain.agents.versions import VersionInfo
from va_app.domain.conversations import runtime
from va_app.domain.conversations.turn import ChatInput
from va_app.domain.errors import DomainError
from va_app.domain.identity.principal import system_principal

PROBE_MESSAGE = "Hello!"


async def synthetic_chat(
    tenant_id: uuid.UUID, agent_id: str, environment: str, version: VersionInfo
) -> tuple[bool, str]:
    principal = system_principal(tenant_id, "health-probe")
    inp = ChatInput(
        message=PROBE_MESSAGE, conversation_id=health.PROBE_CONVERSATION, environment=environment, probe=True
    )
    try:
        out = await runtime.chat(principal, agent_id, inp)
    except DomainError as exc:
        return False, f"the turn failed: {exc.message}"
    if out.version != version.number:
        return False, f"answered by v{out.version}, expected v{version.number}"
    ok = out.outcome in ("answered", "unanswered", "handoff") and bool(out.reply.strip())  # the pipeline works
    return ok, f"v{out.version} {out.outcome} via {out.model or '-'} in {out.latency_ms:.0f} ms"
