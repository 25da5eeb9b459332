"""Wire schemas of the knowledge-base API (``/api/v1/knowledge-bases``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from pydantic.dataclasses import dataclass

from va_app.api.schemas.common import Page, Strict
from va_app.domain.knowledge.documents import DocumentView
from va_app.domain.knowledge.service import KnowledgeBaseView

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


@dataclass(frozen=True)
class KnowledgeBasePublic(KnowledgeBaseView):
    status: Literal["ready", "indexing"]
    progress: Annotated[float, Field(description="0..1 over the documents being embedded; 1 when none are")]


class KnowledgeBasesPublic(Page[KnowledgeBasePublic]):
    pass


@dataclass(frozen=True)
class DocumentPublic(DocumentView):
    status: DocumentStatus
    progress: Annotated[float, Field(description="0..1 of the chunks embedded")]


class DocumentsPublic(Page[DocumentPublic]):
    pass


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
