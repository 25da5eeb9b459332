"""The real offline embedding model: shape, normalisation, and that meaning drives similarity."""

from __future__ import annotations

import numpy as np
import pytest

from core.embeddings import (
    DEFAULT_MODEL,
    Embedder,
    available_models,
    get_embedder,
    register_embedder,
    unregister_embedder,
)


def _cos(embedder: Embedder, a: str, b: str) -> float:
    va, vb = embedder.embed([a, b])
    return float(va @ vb)


def test_vectors_are_unit_float32_of_the_model_dimension() -> None:
    embedder = get_embedder()
    assert isinstance(embedder, Embedder)
    assert (embedder.model_name, embedder.dim) == (DEFAULT_MODEL, 384)
    vectors = embedder.embed(["hello world", "a second, rather longer sentence about something else"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)
    assert get_embedder() is embedder  # loaded once per process


def test_paraphrases_are_close_and_unrelated_texts_far() -> None:
    embedder = get_embedder()
    # Reference for all-MiniLM-L6-v2 (sentence-transformers, fp32): 0.755 for this pair.
    assert _cos(embedder, "A man is eating food.", "A man is eating a piece of bread.") == pytest.approx(
        0.755, abs=0.03
    )
    close = _cos(embedder, "How do I reset my password?", "I forgot my password, how can I change it?")
    far = _cos(embedder, "How do I reset my password?", "The weather in Paris is sunny today.")
    assert close > 0.8 and far < 0.2


def test_batches_do_not_change_a_text_vector() -> None:
    embedder = get_embedder()
    texts = ["short", "a much longer sentence that forces padding in the batch it shares " * 3, "mid length text"]
    batched = embedder.embed(texts)
    single = np.vstack([embedder.embed([t]) for t in texts])
    assert np.abs(batched - single).max() < 1e-4


def test_long_texts_are_truncated_not_refused() -> None:
    vector = get_embedder().embed(["word " * 5000])
    assert vector.shape == (1, 384)


def test_registry() -> None:
    assert DEFAULT_MODEL in available_models()
    with pytest.raises(KeyError, match="unknown embedding model"):
        get_embedder("no-such-model")
    with pytest.raises(ValueError):
        unregister_embedder(DEFAULT_MODEL)
    register_embedder("tmp-model", lambda: get_embedder())
    try:
        assert get_embedder("tmp-model") is get_embedder()
    finally:
        unregister_embedder("tmp-model")
