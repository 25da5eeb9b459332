"""Knowledge bases travel with an agent cloned into another tenant.

Plugged into the agents' template module as its knowledge cloner by :mod:`va_app.runtime`, so cloning an agent
across tenants (a superadmin action) also copies the bases its version uses, embeddings
included, instead of leaving the clone with dangling ids.
"""

from __future__ import annotations

import uuid

from core import db
from models.repositories import knowledge_copy


async def clone_knowledge_bases(
    source_tenant_id: uuid.UUID, target_tenant_id: uuid.UUID, kb_ids: list[str]
) -> dict[str, str]:
    """``{old_id: new_id}`` for every base of the source tenant that was copied."""
    mapping: dict[str, str] = {}
    async with db.session_scope() as session:
        for kb_id in kb_ids:
            try:
                source = uuid.UUID(kb_id)
            except ValueError:
                continue
            new_id = await knowledge_copy.copy_knowledge_base(
                session=session, source_tenant_id=source_tenant_id, target_tenant_id=target_tenant_id, kb_id=source
            )
            if new_id is not None:
                mapping[kb_id] = str(new_id)
    return mapping
