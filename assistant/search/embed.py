"""Embedders behind one narrow protocol: documents and queries in, unit vectors out."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.base.errors import BackendError
from assistant.base.settings import Settings
from assistant.text.norm import fold


class Embedder(Protocol):
    name: str  # identifies the model (and its weights' hash) in index manifests
    dim: int

    def embed_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        """Sentences compared with each other (symmetric similarity, not search): unit vectors."""
        ...


class SentenceTransformerEmbedder:
    """EmbeddingGemma (or any sentence-transformers dir) on CPU, from a verified local path."""

    def __init__(self, path: Path, *, name: str, threads: int = 2, batch_size: int = 16, max_seq_length: int = 512):
        from assistant.ops.models import hf_offline_env

        hf_offline_env()
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise BackendError(f"sentence-transformers/torch manquant ({exc}) : lancez `make install`.") from None
        torch.set_num_threads(threads)
        self._model = SentenceTransformer(
            str(path), device="cpu", local_files_only=True, model_kwargs={"torch_dtype": torch.bfloat16}
        )
        self._model.max_seq_length = max_seq_length
        self.name = name
        getdim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(getdim() or 768)
        self.batch_size = batch_size

    def embed_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # Sort by length so each batch pads little; restore order after.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            vecs = self._model.encode_document(
                [texts[i] for i in idx], batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
            out[idx] = _unit(np.asarray(vecs, dtype=np.float32))
            if progress:
                progress(len(idx))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        vec = self._model.encode_query([text], normalize_embeddings=True, convert_to_numpy=True)
        return _unit(np.asarray(vec, dtype=np.float32))[0]

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        # EmbeddingGemma's sentence-similarity prompt: on the practice senses it separates the
        # prohibited descriptions from the others far better than the document prompt
        # (bench/calibrate_senses.py, eval/reports/2026-12-03-assess-senses.md).
        prompt = "STS" if "STS" in getattr(self._model, "prompts", {}) else None
        vecs = self._model.encode(
            list(texts),
            prompt_name=prompt,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return _unit(np.asarray(vecs, dtype=np.float32))


def _unit(vecs: np.ndarray) -> np.ndarray:
    """Re-normalise in float32: bf16 inference leaves norms off by ~0.3%."""
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs / np.where(norms > 0, norms, 1.0)


class FakeEmbedder:
    """Deterministic hashed bag of words and character trigrams: no weights, fast tests only."""

    _WORD = re.compile(r"\w+")

    def __init__(self, dim: int = 256):
        self.name = f"fake-hash-{dim}"
        self.dim = dim

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in self._WORD.findall(fold(text)):
            grams = [word] + [word[i : i + 3] for i in range(max(1, len(word) - 2))]
            for g in grams:
                h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
                v[h % self.dim] += 1.0 if g == word else 0.3
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def embed_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_documents(texts)


def make_embedder(settings: Settings) -> Embedder:
    """Factory: 'fake' or the verified EmbeddingGemma from the models directory."""
    kind = settings.embedder
    if kind == "fake":
        return FakeEmbedder()
    from assistant.ops.models import SPECS, model_path

    path = model_path("embedder", settings.models_path)
    if path.is_file():
        path = path.parent
    spec = SPECS["embedder"]
    return SentenceTransformerEmbedder(
        path,
        name=f"embeddinggemma-300m@{spec.sha256[:12]}",
        threads=settings.threads,
        batch_size=settings.embed_batch,
    )


def embedder_name(settings: Settings) -> str:
    """The name an index records for the embedder these settings choose (without loading it)."""
    if settings.embedder == "fake":
        return FakeEmbedder().name
    from assistant.ops.models import SPECS

    return f"embeddinggemma-300m@{SPECS['embedder'].sha256[:12]}"
