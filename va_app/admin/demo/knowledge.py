"""The demo tenant's knowledge: one FAQ per brand, so its agents answer real questions offline.

With no provider keys the ``local`` provider answers from retrieval alone; without these
files every demo question would end in "I don't have information about that". The FAQs
are CSV files in ``data/`` (``question,answer,category``), the same format a customer uploads, and go through
the real upload path (parse, chunk, embed with the bundled model, pgvector).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from core import db
from models.repositories import knowledge as knowledge_repo
from va_app.domain.identity.principal import Principal
from va_app.domain.knowledge import ingestion
from va_app.domain.knowledge.documents import upload_document
from va_app.domain.knowledge.service import create_knowledge_base

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class DemoFaq:
    name: str
    description: str
    filename: str  # under va_app/admin/demo/data/

    def read(self) -> bytes:
        return (DATA / self.filename).read_bytes()


AURORA = DemoFaq("Aurora Hotels FAQ", "Stays, rooms, dining and loyalty at Aurora Hotels.", "aurora-faq.csv")

LUMEN = DemoFaq("Lumen Resorts FAQ", "Spa, excursions and resort life at Lumen Resorts.", "lumen-faq.csv")

SUPPORT = DemoFaq("Guest support FAQ", "Billing, refunds and accounts for every brand.", "guest-support-faq.csv")

FAQS: tuple[DemoFaq, ...] = (AURORA, LUMEN, SUPPORT)
# Which FAQ each demo agent answers from (by slug).
AGENT_FAQS: dict[str, tuple[str, ...]] = {
    "aurora-concierge": (AURORA.name, SUPPORT.name),
    "lumen-concierge": (LUMEN.name, SUPPORT.name),
    "support-faq": (SUPPORT.name,),
}


async def ensure_demo_knowledge(principal: Principal) -> tuple[dict[str, str], list[str]]:
    """Each FAQ as a ready knowledge base (created and embedded when missing).

    Returns the knowledge base id per FAQ name and what was created.
    """
    async with db.session_scope() as session:
        existing = await knowledge_repo.list_knowledge_bases(session=session, tenant_id=principal.tenant_id, limit=500)
        ids = {kb.name: str(kb.id) for kb in existing}
    created: list[str] = []
    for faq in FAQS:
        if faq.name in ids:
            continue
        kb = await create_knowledge_base(principal, name=faq.name, description=faq.description)
        await upload_document(
            principal, uuid.UUID(str(kb.id)), filename=faq.filename, content_type="text/csv", data=faq.read()
        )
        ids[faq.name] = str(kb.id)
        created.append(f"knowledge:{faq.name}")
    await ingestion.drain()  # a background embedding job must not die with the seed process
    return ids, created
