"""Wire schemas of the knowledge-base API (``/api/v1/knowledge-bases``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from va_app.api.schemas.common import Strict

DocumentStatus = Literal["pending", "processing", "ready", "failed"]


class KnowledgeBaseCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    embedding_model: str | None = Field(default=None, max_length=100, description="default: all-MiniLM-L6-v2")


class KnowledgeBaseUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    embedding_model: str | None = Field(
        default=None, max_length=100, description="a different model re-indexes every document in the background"
    )


class KnowledgeBaseReindex(Strict):
    embedding_model: str | None = Field(default=None, max_length=100, description="default: keep the current model")


class KnowledgeBasePublic(BaseModel):
    id: str
    name: str
    description: str
    embedding_model: str
    status: Literal["ready", "indexing"]
    progress: float = Field(description="0..1 over the documents being embedded; 1 when none are")
    document_count: int
    chunk_count: int
    failed_documents: int
    created_at: dt.datetime
    updated_at: dt.datetime


class KnowledgeBasesPublic(BaseModel):
    data: list[KnowledgeBasePublic]
    count: int
    next_cursor: str | None


class DocumentPublic(BaseModel):
    id: str
    knowledge_base_id: str
    filename: str
    content_type: str
    size_bytes: int
    status: DocumentStatus
    progress: float = Field(description="0..1 of the chunks embedded")
    chunk_count: int
    embedding_model: str | None
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class DocumentsPublic(BaseModel):
    data: list[DocumentPublic]
    count: int
    next_cursor: str | None


class SearchRequest(Strict):
    query: str = Field(min_length=1, max_length=2000)
    k: int = Field(default=5, ge=1, le=50)


class SearchDocument(BaseModel):
    id: str
    filename: str


class SearchResultPublic(BaseModel):
    score: float = Field(description="cosine similarity, 1 = same meaning")
    content: str
    position: int = Field(description="the chunk's index within its document")
    document: SearchDocument
    chunk_id: str
    meta: dict[str, Any]


class SearchResponse(BaseModel):
    data: list[SearchResultPublic]
    count: int
    embedding_model: str
    took_ms: float
