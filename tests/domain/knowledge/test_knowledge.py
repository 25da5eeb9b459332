"""Knowledge bases end to end: upload real files, embed with the real model, search pgvector."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import numpy as np
import pytest

from core.embeddings import get_embedder, register_embedder, unregister_embedder
from tests.api_client import bearer
from tests.factories import create_key, create_tenant
from tests.knowledge_files import FAQ_CSV, PDF_PAGES, make_pdf
from va_app.domain.knowledge import ingestion
from va_app.domain.knowledge.formats import MAX_UPLOAD_BYTES
from va_app.domain.knowledge.search import retrieve

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

KB = "/api/v1/knowledge-bases"


@pytest.fixture(autouse=True)
async def _no_jobs_left() -> AsyncIterator[None]:
    yield
    await ingestion.drain(timeout=120)


async def _kb(api: httpx.AsyncClient, key: str, name: str = "Support") -> str:
    resp = await api.post(KB, json={"name": name, "description": "help centre"}, headers=bearer(key))
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


async def _upload(
    api: httpx.AsyncClient, key: str, kb_id: str, name: str, data: bytes, content_type: str = "application/octet-stream"
) -> httpx.Response:
    return await api.post(f"{KB}/{kb_id}/documents", files={"file": (name, data, content_type)}, headers=bearer(key))


async def _search(api: httpx.AsyncClient, key: str, kb_id: str, query: str, k: int = 3) -> list[dict]:
    resp = await api.post(f"{KB}/{kb_id}/search", json={"query": query, "k": k}, headers=bearer(key))
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]


async def _wait_ready(api: httpx.AsyncClient, key: str, kb_id: str, doc_id: str) -> tuple[dict, list[float]]:
    seen: list[float] = []
    for _ in range(600):
        doc = (await api.get(f"{KB}/{kb_id}/documents/{doc_id}", headers=bearer(key))).json()
        seen.append(doc["progress"])
        if doc["status"] in ("ready", "failed"):
            return doc, seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"document {doc_id} still {doc['status']} at {doc['progress']}")


async def test_pdf_and_faq_are_searchable_by_meaning(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key
    kb_id = await _kb(api, key)

    pdf = await _upload(api, key, kb_id, "policies.pdf", make_pdf(PDF_PAGES), "application/pdf")
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["status"] == "ready" and pdf.json()["chunk_count"] == 3
    assert pdf.json()["progress"] == 1.0 and pdf.headers["location"].endswith(pdf.json()["id"])
    faq = await _upload(api, key, kb_id, "faq.csv", FAQ_CSV.encode(), "text/csv")
    assert faq.status_code == 201, faq.text
    assert faq.json()["chunk_count"] == 4 and faq.json()["content_type"] == "text/csv"

    hits = await _search(api, key, kb_id, "Is limescale damage covered by the guarantee?")
    assert hits[0]["document"]["filename"] == "policies.pdf"
    assert "two-year warranty" in hits[0]["content"] and hits[0]["meta"]["page"] == 2
    assert hits[0]["score"] > hits[1]["score"] > 0

    # A paraphrase sharing almost no words with the FAQ row still finds it: the embeddings are real.
    hits = await _search(api, key, kb_id, "I can't remember my login credentials")
    assert hits[0]["content"].startswith("Q: How do I reset my password?")
    assert hits[0]["document"]["filename"] == "faq.csv" and hits[0]["meta"]["category"] == "account"
    hits = await _search(api, key, kb_id, "when is customer service available?", k=1)
    assert len(hits) == 1 and "Monday to Friday" in hits[0]["content"]

    kb = (await api.get(f"{KB}/{kb_id}", headers=bearer(key))).json()
    assert (kb["document_count"], kb["chunk_count"], kb["status"]) == (2, 7, "ready")
    listed = (await api.get(f"{KB}/{kb_id}/documents", headers=bearer(key))).json()
    assert {d["filename"] for d in listed["data"]} == {"policies.pdf", "faq.csv"}


async def test_other_tenants_find_nothing(api: httpx.AsyncClient) -> None:
    tenant, other = await create_tenant(), await create_tenant()
    kb_id = await _kb(api, tenant.owner_key)
    doc = (await _upload(api, tenant.owner_key, kb_id, "faq.csv", FAQ_CSV.encode())).json()

    for method, url, body in (
        ("GET", f"{KB}/{kb_id}", None),
        ("POST", f"{KB}/{kb_id}/search", {"query": "password"}),
        ("GET", f"{KB}/{kb_id}/documents", None),
        ("GET", f"{KB}/{kb_id}/documents/{doc['id']}", None),
        ("DELETE", f"{KB}/{kb_id}/documents/{doc['id']}", None),
        ("POST", f"{KB}/{kb_id}/reindex", None),
        ("DELETE", f"{KB}/{kb_id}", None),
    ):
        resp = await api.request(method, url, json=body, headers=bearer(other.owner_key))
        assert resp.status_code == 404, f"{method} {url}: {resp.status_code}"
        assert resp.json()["error"]["code"] == "not_found"
    upload = await _upload(api, other.owner_key, kb_id, "x.txt", b"hello")
    assert upload.status_code == 404
    assert (await api.get(KB, headers=bearer(other.owner_key))).json()["data"] == []
    assert await retrieve(other.tenant_id, [kb_id], "password reset") == []
    assert len(await retrieve(tenant.tenant_id, [kb_id], "password reset", k=10, min_score=-1)) == 4


async def test_bad_uploads_get_clear_4xx_errors(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key
    kb_id = await _kb(api, key)
    cases = [
        ("empty.txt", b"", "text/plain", 400, "empty_file"),
        ("virus.exe", b"MZ\x90\x00", "application/octet-stream", 415, "unsupported_file_type"),
        ("photo.txt", b"hello", "image/png", 415, "unsupported_file_type"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "application/pdf", 400, "unreadable_file"),
        ("fake.pdf", b"just text pretending", "application/pdf", 400, "unreadable_file"),
        ("blank.html", b"<html><script>var a = 1;</script></html>", "text/html", 400, "unreadable_file"),
        ("faq.csv", b"name,email\nann,a@example.com\n", "text/csv", 400, "unreadable_file"),
        ("binary.txt", b"\x00\x01\x02" * 100, "text/plain", 400, "unreadable_file"),
    ]
    for name, data, content_type, status, code in cases:
        resp = await _upload(api, key, kb_id, name, data, content_type)
        assert resp.status_code == status, f"{name}: {resp.status_code} {resp.text}"
        assert resp.json()["error"]["code"] == code, name

    too_large = await _upload(api, key, kb_id, "big.txt", b"a" * (MAX_UPLOAD_BYTES + 1), "text/plain")
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "file_too_large"
    not_multipart = await api.post(f"{KB}/{kb_id}/documents", content=b"hello", headers=bearer(key))
    assert not_multipart.status_code == 415
    no_file = await api.post(
        f"{KB}/{kb_id}/documents", data={"other": "x"}, files={"x": ("a.txt", b"a")}, headers=bearer(key)
    )
    assert no_file.status_code == 400 and "file" in no_file.json()["error"]["message"]
    # Nothing half-made was left behind.
    assert (await api.get(f"{KB}/{kb_id}/documents", headers=bearer(key))).json()["count"] == 0
    bad_query = await api.post(f"{KB}/{kb_id}/search", json={"query": "   "}, headers=bearer(key))
    assert bad_query.status_code == 422
    bad_k = await api.post(f"{KB}/{kb_id}/search", json={"query": "x", "k": 500}, headers=bearer(key))
    assert bad_k.status_code == 422
    bad_model = await api.post(KB, json={"name": "x", "embedding_model": "gpt-embed-9"}, headers=bearer(key))
    assert bad_model.status_code == 400


async def test_large_upload_runs_in_background_with_progress(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key
    kb_id = await _kb(api, key)
    topics = ["billing", "shipping", "returns", "accounts", "security", "privacy", "devices", "support"]
    paragraphs = [
        f"Section {i} about {topics[i % len(topics)]}. "
        + " ".join(f"Item {i}.{j} describes rule number {j} for {topics[i % len(topics)]} in detail." for j in range(9))
        for i in range(80)
    ]
    paragraphs[57] = "The spare key of the Falcon warehouse is kept in the blue safe behind the reception desk."
    resp = await _upload(api, key, kb_id, "manual.md", "\n\n".join(paragraphs).encode(), "text/markdown")
    assert resp.status_code == 202, resp.text
    assert resp.json()["status"] in ("pending", "processing")
    doc, seen = await _wait_ready(api, key, kb_id, resp.json()["id"])
    # about one chunk per paragraph; the short paragraph 57 shares its chunk with a neighbour
    assert doc["status"] == "ready" and doc["progress"] == 1.0 and doc["chunk_count"] == 79
    assert seen == sorted(seen) and seen[0] < 1.0  # progress only moves forward
    hits = await _search(api, key, kb_id, "where is the spare key for the Falcon warehouse?")
    assert "blue safe" in hits[0]["content"] and hits[0]["position"] in (56, 57)


async def test_delete_document_and_knowledge_base(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key
    kb_id = await _kb(api, key)
    faq = (await _upload(api, key, kb_id, "faq.csv", FAQ_CSV.encode())).json()
    txt = (await _upload(api, key, kb_id, "hours.txt", b"The shop closes at noon on Saturdays.")).json()
    assert (await api.delete(f"{KB}/{kb_id}/documents/{faq['id']}", headers=bearer(key))).status_code == 204
    assert (await api.get(f"{KB}/{kb_id}/documents/{faq['id']}", headers=bearer(key))).status_code == 404
    hits = await _search(api, key, kb_id, "reset my password", k=5)
    assert [h["document"]["id"] for h in hits] == [txt["id"]]
    assert (await api.delete(f"{KB}/{kb_id}", headers=bearer(key))).status_code == 204
    assert (await api.get(f"{KB}/{kb_id}", headers=bearer(key))).status_code == 404
    assert await retrieve(tenant.tenant_id, [kb_id], "saturday") == []


async def test_viewer_reads_and_searches_but_cannot_write(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    kb_id = await _kb(api, tenant.owner_key)
    await _upload(api, tenant.owner_key, kb_id, "faq.csv", FAQ_CSV.encode())
    viewer = await create_key(tenant, "viewer")
    assert (await _search(api, viewer, kb_id, "bank transfer"))[0]["meta"]["category"] == "billing"
    denied = await _upload(api, viewer, kb_id, "x.txt", b"hello")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    assert (await api.post(KB, json={"name": "x"}, headers=bearer(viewer))).status_code == 403


async def test_mutations_are_audited(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key
    kb_id = await _kb(api, key)
    doc = (await _upload(api, key, kb_id, "faq.csv", FAQ_CSV.encode())).json()
    await api.patch(f"{KB}/{kb_id}", json={"name": "Renamed"}, headers=bearer(key))
    await api.post(f"{KB}/{kb_id}/reindex", headers=bearer(key))
    await ingestion.drain()
    await api.delete(f"{KB}/{kb_id}/documents/{doc['id']}", headers=bearer(key))
    await api.delete(f"{KB}/{kb_id}", headers=bearer(key))
    entries = (
        await api.get("/api/v1/audit-logs", params={"action": "knowledge", "limit": 50}, headers=bearer(key))
    ).json()
    actions = [(e["action"], e["target_id"]) for e in entries["data"]]
    assert set(actions) == {
        ("knowledge_base.create", kb_id),
        ("knowledge_document.create", doc["id"]),
        ("knowledge_base.update", kb_id),
        ("knowledge_base.reindex", kb_id),
        ("knowledge_document.delete", doc["id"]),
        ("knowledge_base.delete", kb_id),
    }
    update = next(e for e in entries["data"] if e["action"] == "knowledge_base.update")
    assert update["before"]["name"] == "Support" and update["after"]["name"] == "Renamed"


class _RotatedMiniLM:
    """Another "model": MiniLM vectors turned by a fixed rotation, so its space differs from MiniLM's."""

    model_name = "test-rotated-minilm"
    dim = 384

    def __init__(self) -> None:
        q, _ = np.linalg.qr(np.random.default_rng(7).normal(size=(self.dim, self.dim)))
        self._rotation = q.astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        return get_embedder().embed(texts) @ self._rotation


async def test_changing_the_model_reindexes_every_document(api: httpx.AsyncClient) -> None:
    register_embedder(_RotatedMiniLM.model_name, _RotatedMiniLM)
    try:
        tenant = await create_tenant()
        key = tenant.owner_key
        kb_id = await _kb(api, key)
        await _upload(api, key, kb_id, "faq.csv", FAQ_CSV.encode())
        await _upload(api, key, kb_id, "policies.pdf", make_pdf(PDF_PAGES))

        resp = await api.patch(
            f"{KB}/{kb_id}", json={"embedding_model": _RotatedMiniLM.model_name}, headers=bearer(key)
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["embedding_model"] == _RotatedMiniLM.model_name
        assert resp.json()["status"] == "indexing"
        again = await api.post(f"{KB}/{kb_id}/reindex", headers=bearer(key))
        assert again.status_code == 409
        await ingestion.drain()

        docs = (await api.get(f"{KB}/{kb_id}/documents", headers=bearer(key))).json()["data"]
        assert {(d["status"], d["embedding_model"], d["progress"]) for d in docs} == {
            ("ready", _RotatedMiniLM.model_name, 1.0)
        }
        search = await api.post(f"{KB}/{kb_id}/search", json={"query": "forgot my password"}, headers=bearer(key))
        assert search.json()["embedding_model"] == _RotatedMiniLM.model_name
        top = search.json()["data"][0]
        assert top["content"].startswith("Q: How do I reset my password?") and top["score"] > 0.5

        back = await api.post(
            f"{KB}/{kb_id}/reindex", json={"embedding_model": "all-MiniLM-L6-v2"}, headers=bearer(key)
        )
        assert back.status_code == 202 and back.json()["embedding_model"] == "all-MiniLM-L6-v2"
        await ingestion.drain()
        assert (await _search(api, key, kb_id, "forgot my password"))[0]["content"].startswith("Q: How do I reset")
    finally:
        unregister_embedder(_RotatedMiniLM.model_name)


async def test_retrieve_merges_knowledge_bases_and_ignores_unknown_ids(api: httpx.AsyncClient) -> None:
    tenant = await create_tenant()
    key = tenant.owner_key
    faq_kb, pdf_kb = await _kb(api, key, "faq"), await _kb(api, key, "policies")
    await _upload(api, key, faq_kb, "faq.csv", FAQ_CSV.encode())
    await _upload(api, key, pdf_kb, "policies.pdf", make_pdf(PDF_PAGES))
    chunks = await retrieve(
        tenant.tenant_id, [faq_kb, pdf_kb, uuid.uuid4(), "not-a-uuid"], "can I send the product back?", k=3
    )
    assert len(chunks) == 3 and chunks[0].filename == "policies.pdf" and "returned" in chunks[0].content
    assert chunks[0].score >= chunks[1].score >= chunks[2].score
    assert {c.knowledge_base_id for c in chunks} <= {faq_kb, pdf_kb}
    assert await retrieve(tenant.tenant_id, [faq_kb], "can I send the product back?", k=3, min_score=0.99) == []
