"""Knowledge bases: upload files, chunk and embed them, search them by meaning.

``service`` holds the knowledge-base lifecycle, ``documents`` the uploads, ``search`` the
queries (including :func:`search.retrieve` for the LLM runtime), ``ingestion`` the embedding
jobs, ``cloning`` the copy that follows an agent cloned into another tenant; ``formats``,
``parsers`` and ``chunking`` are pure functions on bytes and text.
"""
