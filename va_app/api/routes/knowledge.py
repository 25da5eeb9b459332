"""Knowledge bases, their documents (multipart upload), search and re-index.

An upload answers ``201`` with the document ``ready`` when it is small (at most 48 chunks,
about a second of embedding), or ``202`` with the document ``pending`` while a background job
embeds it: poll ``GET .../documents/{doc_id}`` for ``status`` and ``progress``.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from va_app.api.deps import PrincipalDep
from va_app.api.errors import error_body
from va_app.api.schemas.knowledge import (
    DocumentPublic,
    DocumentsPublic,
    DocumentStatus,
    KnowledgeBaseCreate,
    KnowledgeBasePublic,
    KnowledgeBaseReindex,
    KnowledgeBasesPublic,
    KnowledgeBaseUpdate,
    SearchDocument,
    SearchRequest,
    SearchResponse,
    SearchResultPublic,
)
from va_app.domain.errors import InvalidInput
from va_app.domain.knowledge import documents, search, service
from va_app.domain.knowledge.formats import MAX_UPLOAD_BYTES, SUPPORTED, FileTooLarge, UnsupportedFileType

router = APIRouter(prefix="/knowledge-bases", tags=["knowledge bases"])

_MULTIPART_OVERHEAD = 64 * 1024
_UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary", "description": f"one of {SUPPORTED}"}},
            }
        }
    },
}


def _kb(view: service.KnowledgeBaseView) -> KnowledgeBasePublic:
    return KnowledgeBasePublic(**asdict(view))


def _doc(view: documents.DocumentView) -> DocumentPublic:
    return DocumentPublic(**asdict(view))


@router.post("", status_code=201, response_model=KnowledgeBasePublic, summary="Create a knowledge base")
async def create_kb(body: KnowledgeBaseCreate, principal: PrincipalDep) -> KnowledgeBasePublic:
    fields = body.model_dump(exclude_none=True)
    return _kb(await service.create_knowledge_base(principal, **fields))


@router.get("", response_model=KnowledgeBasesPublic, summary="Knowledge bases, newest first")
async def list_kbs(
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> KnowledgeBasesPublic:
    views, next_cursor = await service.list_knowledge_bases(principal, limit=limit, cursor=cursor)
    return KnowledgeBasesPublic(data=[_kb(v) for v in views], count=len(views), next_cursor=next_cursor)


@router.get("/{kb_id}", response_model=KnowledgeBasePublic, summary="A knowledge base with indexing progress")
async def get_kb(kb_id: uuid.UUID, principal: PrincipalDep) -> KnowledgeBasePublic:
    return _kb(await service.get_knowledge_base(principal, kb_id))


@router.patch(
    "/{kb_id}",
    response_model=KnowledgeBasePublic,
    summary="Rename, describe, or change the embedding model (re-indexes in the background)",
)
async def update_kb(kb_id: uuid.UUID, body: KnowledgeBaseUpdate, principal: PrincipalDep) -> KnowledgeBasePublic:
    return _kb(await service.update_knowledge_base(principal, kb_id, **body.model_dump(exclude_none=True)))


@router.delete("/{kb_id}", status_code=204, summary="Delete a knowledge base, its documents and chunks")
async def delete_kb(kb_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await service.delete_knowledge_base(principal, kb_id)
    return Response(status_code=204)


@router.post(
    "/{kb_id}/reindex",
    status_code=202,
    response_model=KnowledgeBasePublic,
    summary="Re-embed every document (optionally with another model); poll the knowledge base's progress",
)
async def reindex_kb(
    kb_id: uuid.UUID, principal: PrincipalDep, body: KnowledgeBaseReindex | None = None
) -> KnowledgeBasePublic:
    model = body.embedding_model if body else None
    return _kb(await service.reindex_knowledge_base(principal, kb_id, embedding_model=model))


@router.post(
    "/{kb_id}/documents",
    status_code=201,
    response_model=DocumentPublic,
    summary="Upload a file (multipart field 'file'): 201 ready, or 202 while it is embedded",
    openapi_extra={"requestBody": _UPLOAD_BODY},
    responses={
        202: {"model": DocumentPublic, "description": "accepted; embedding in the background, poll the document"},
        413: {"description": f"larger than {MAX_UPLOAD_BYTES} bytes"},
        415: {"description": f"not one of {SUPPORTED}"},
    },
)
async def upload_document(kb_id: uuid.UUID, request: Request, principal: PrincipalDep) -> JSONResponse:
    # Read the body by hand: permission and ownership are checked before a byte is parsed.
    await documents.check_upload_allowed(principal, kb_id)
    try:
        declared = int(request.headers.get("content-length") or 0)
        if declared > MAX_UPLOAD_BYTES + _MULTIPART_OVERHEAD:
            raise FileTooLarge(f"the upload is {declared} bytes; the limit is {MAX_UPLOAD_BYTES} bytes")
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise UnsupportedFileType("send the file as multipart/form-data in a field named 'file'")
        async with request.form(max_files=1, max_fields=10) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise InvalidInput("the multipart field 'file' is missing")
            data = await upload.read(MAX_UPLOAD_BYTES + 1)
            result = await documents.upload_document(
                principal, kb_id, filename=upload.filename or "", content_type=upload.content_type, data=data
            )
    except FileTooLarge as exc:
        return JSONResponse(error_body(exc.code, exc.message), status_code=413)
    except UnsupportedFileType as exc:
        return JSONResponse(error_body(exc.code, exc.message), status_code=415)
    body = jsonable_encoder(_doc(result.document))
    location = f"{request.url.path}/{result.document.id}"
    return JSONResponse(body, status_code=202 if result.background else 201, headers={"Location": location})


@router.get("/{kb_id}/documents", response_model=DocumentsPublic, summary="Documents with status and progress")
async def list_documents(
    kb_id: uuid.UUID,
    principal: PrincipalDep,
    status: DocumentStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DocumentsPublic:
    views, next_cursor = await documents.list_documents(principal, kb_id, limit=limit, cursor=cursor, status=status)
    return DocumentsPublic(data=[_doc(v) for v in views], count=len(views), next_cursor=next_cursor)


@router.get("/{kb_id}/documents/{doc_id}", response_model=DocumentPublic, summary="A document's status and progress")
async def get_document(kb_id: uuid.UUID, doc_id: uuid.UUID, principal: PrincipalDep) -> DocumentPublic:
    return _doc(await documents.get_document(principal, kb_id, doc_id))


@router.delete("/{kb_id}/documents/{doc_id}", status_code=204, summary="Delete a document and its chunks")
async def delete_document(kb_id: uuid.UUID, doc_id: uuid.UUID, principal: PrincipalDep) -> Response:
    await documents.delete_document(principal, kb_id, doc_id)
    return Response(status_code=204)


@router.post("/{kb_id}/search", response_model=SearchResponse, summary="The k chunks closest in meaning to the query")
async def search_kb(kb_id: uuid.UUID, body: SearchRequest, principal: PrincipalDep) -> SearchResponse:
    found = await search.search(principal, kb_id, body.query, body.k)
    data = [
        SearchResultPublic(
            score=hit.score,
            content=hit.content,
            position=hit.position,
            document=SearchDocument(id=hit.document_id, filename=hit.filename),
            chunk_id=hit.id,
            meta=hit.meta,
        )
        for hit in found.results
    ]
    return SearchResponse(data=data, count=len(data), embedding_model=found.embedding_model, took_ms=found.took_ms)
