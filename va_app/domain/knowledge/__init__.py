"""Knowledge bases: upload files, chunk and embed them, search them by meaning.

``service`` holds the knowledge-base lifecycle, ``documents`` the uploads, ``search`` the
queries (including :func:`search.retrieve` for the LLM runtime), ``ingestion`` the embedding
jobs; ``formats``, ``parsers`` and ``chunking`` are pure functions on bytes and text.
"""

# Cloning an agent into another tenant copies its knowledge bases (see ``cloning``).
from va_app.domain.knowledge import cloning as _cloning  # noqa: F401
