"""Service functions shared by the CLI, the API and the UI (one place, thin shells around it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from functools import cached_property

from assistant.answer import Answerer
from assistant.backends import Generator, make_generator
from assistant.config import Settings
from assistant.errors import InputError
from assistant.embed import Embedder, make_embedder
from assistant.index import Index, load_index
from assistant.retrieve import Hit, Retriever, SearchResult


MAX_QUESTION_CHARS = 2000


class Service:
    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        index: Index | None = None,
        generator: Generator | None = None,
    ):
        self.settings = settings
        self._embedder = embedder
        self._index = index
        self._generator = generator
        self._lock = threading.Lock()

    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = load_index(self.settings.index_path)
            return self._index

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = make_embedder(self.settings)
            return self._embedder

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.index, self.embedder)

    @property
    def generator(self) -> Generator:
        with self._lock:
            if self._generator is None:
                self._generator = make_generator(self.settings)
            return self._generator

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(lambda q, k: self.retrieve(q, k), lambda: self.generator, self.index)

    def ask(self, question: str, *, on_token: Callable[[str], None] | None = None) -> dict:
        question = question.strip()
        if not question:
            raise InputError("La question est vide : écrivez une question en français.")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError(f"La question dépasse {MAX_QUESTION_CHARS} caractères : raccourcissez-la.")
        return self.answerer.ask(question, on_token=on_token)

    def retrieve(self, query: str, k: int = 5, docs: Sequence[str] | None = None, lang: str | None = None) -> SearchResult:
        return self.retriever.search(query, k, docs=docs, lang=lang)

    def search(self, query: str, k: int = 5, docs: Sequence[str] | None = None, lang: str | None = None) -> dict:
        t0 = time.perf_counter()
        res = self.retrieve(query, k, docs, lang)
        return {
            "query": query,
            "results": [hit_json(h, rank) for rank, h in enumerate(res.hits, 1)],
            "timings": {"retrieval_ms": round((time.perf_counter() - t0) * 1000, 1)},
        }


def hit_json(h: Hit, rank: int) -> dict:
    c = h.chunk
    return {
        "rank": rank,
        "score": round(h.score, 6),
        "doc_id": c.doc_id,
        "ref": c.ref,
        "label": c.label,
        "page": c.page,
        "lang": c.lang,
        "text": c.text,
        "dense": round(h.dense, 4),
        "bm25": round(h.bm25, 3),
        "amended_by": list(c.amended_by),
    }
