"""Service functions shared by the CLI, the API and the UI (one place, thin shells around it)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Sequence
from contextvars import ContextVar
from functools import cached_property
from pathlib import Path

from assistant.answer.compose import Answerer
from assistant.answer.result import Answer, Assessment
from assistant.assess.assessor import Assessor
from assistant.assess.senses import Senses
from assistant.backends import Generator, make_generator
from assistant.base import tuning
from assistant.base.errors import InputError
from assistant.base.settings import Settings
from assistant.search.embed import Embedder, embedder_name, make_embedder
from assistant.search.index import Index, current_generation, load_index
from assistant.search.retrieve import Hit, Retriever, SearchResult
from assistant.training.draw import builder_for, quiz_items
from assistant.training.quiz import Item
from assistant.training.quizbank import Bank, bank_path
from assistant.training.quizgen import Builder

MAX_QUESTION_CHARS = 2000
# Provisions an answer must not rest on (« doc_id:ref »), set for the duration of one ask: a
# follow-up naming another provision never cites what the previous turn cited (core/conversation.py).
LEAVE_OUT: ContextVar[frozenset[str]] = ContextVar("leave_out", default=frozenset())


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
        self._sources: dict[str, dict] | None = None
        self._watch_index = index is None  # a loaded index follows `assistant index build`; a given one stays
        self._index_checked = 0.0

    @property
    def index(self) -> Index:
        with self._lock:
            if self._index is None:
                self._index = load_index(self.settings.index_path)
                self._index_checked = time.monotonic()
            elif self._watch_index and time.monotonic() - self._index_checked >= tuning.INDEX_RECHECK_S:
                self._switch_if_rebuilt()
            return self._index

    def _switch_if_rebuilt(self) -> None:
        """Load the generation in service if a build switched CURRENT since (each worker process does
        this on its own: every worker serves the new index within INDEX_RECHECK_S). Caller holds the lock."""
        self._index_checked = time.monotonic()
        assert self._index is not None
        name = current_generation(self.settings.index_path)
        if name is None or name == self._index.path.name:
            return
        self._index = load_index(self.settings.index_path)
        for derived in ("retriever", "answerer", "assessor", "quiz_builder"):
            self.__dict__.pop(derived, None)  # rebuilt on next use, over the new index
        self._sources = None

    def upstreams(self) -> list[dict]:
        """The inference servers' state (ASSISTANT_LLM=openai), for /metrics; empty otherwise."""
        if self.settings.llm != "openai":
            return []
        status = getattr(self.generator, "status", None)
        return status() if callable(status) else []

    def fresh(self) -> None:
        """Serve the generation in service now: after a switch (an index build, a document added,
        replaced or withdrawn and built in the background), the next request reads the new one."""
        with self._lock:
            if self._index is not None and self._watch_index:
                self._switch_if_rebuilt()

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
        return Answerer(self._evidence, lambda: self.generator, self.index)

    def ask(
        self, question: str, *, on_token: Callable[[str], None] | None = None, leave_out: Collection[str] = ()
    ) -> Answer:
        """`leave_out`: « doc_id:ref » of provisions the answer must not rest on (passages holding them
        or held by them are left out of the evidence)."""
        self.fresh()
        question = question.strip()
        if not question:
            raise InputError("La question est vide : écrivez une question en français.")
        if len(question) > MAX_QUESTION_CHARS:
            raise InputError(f"La question dépasse {MAX_QUESTION_CHARS} caractères : raccourcissez-la.")
        _ = self.index  # a rebuilt index is picked up before the answer, not in the middle of it
        token = LEAVE_OUT.set(frozenset(leave_out))
        try:
            return self.answerer.ask(question, on_token=on_token)
        finally:
            LEAVE_OUT.reset(token)

    def _evidence(self, query: str, k: int) -> SearchResult:
        """The answer's passages: the search's, without those of the provisions left out."""
        out = LEAVE_OUT.get()
        if not out:
            return self.retrieve(query, k)
        res = self.retrieve(query, k + len(out))

        def left_out(h: Hit) -> bool:
            key = f"{h.chunk.doc_id}:{h.chunk.ref}"
            return any(key == x or x.startswith(key + "-") or key.startswith(x + "-") for x in out)

        res.hits = [h for h in res.hits if not left_out(h)][:k]
        return res

    @cached_property
    def assessor(self) -> Assessor:
        return Assessor(
            self.index, lambda: self.generator, lambda q, k: self.retrieve(q, k, docs=["ai-act"]), self.senses
        )

    @cached_property
    def senses(self) -> Senses | None:
        """Prohibited practices evoked by meaning, with the search's embedder (assess/senses.py); none
        with an embedder the threshold was not calibrated for (the fake one of the tests)."""
        name = self._embedder.name if self._embedder is not None else embedder_name(self.settings)
        if not name.startswith(tuning.SENSE_EMBEDDER):
            return None
        return Senses(lambda texts: self.embedder.embed_sentences(texts))

    def assess(
        self, description: str, *, on_token: Callable[[str], None] | None = None, facts: dict | None = None
    ) -> Assessment:
        """Assessment of a planned use of AI (risk level, obligations, charter, questions, who decides)."""
        self.fresh()
        description = (description or "").strip()
        if len(description) > MAX_QUESTION_CHARS:
            raise InputError(f"La description dépasse {MAX_QUESTION_CHARS} caractères : raccourcissez-la.")
        _ = self.index
        return self.assessor.assess(description, on_token=on_token, facts=facts)

    def assess_by_keywords(self, description: str) -> Assessment:
        """The assessment from the keyword facts alone (no model): what the worked cases fall back on
        when the model cannot be used."""
        self.fresh()
        assessor = Assessor(self.index, lambda: None, lambda q, k: self.retrieve(q, k, docs=["ai-act"]), self.senses)
        assessor.use_model = assessor.phrase = False
        return assessor.assess(description)

    # ------------------------------------------------------------------ training

    @cached_property
    def quiz_builder(self) -> Builder:
        return builder_for(self.index)

    def quiz(
        self, topics: Sequence[str], n: int = 10, level: str | None = None, seed: int | str | None = None
    ) -> tuple[list[Item], list[str]]:
        """Quiz items for a session (validated bank first, then built by code) and the notes that go with them."""
        self.fresh()
        notes: list[str] = []
        items = quiz_items(
            Bank(bank_path(self.settings)), lambda: self.quiz_builder, topics, n, level, seed=seed, notes=notes
        )
        return items, notes

    # ------------------------------------------------------------------ search

    def retrieve(
        self, query: str, k: int = 5, docs: Sequence[str] | None = None, lang: str | None = None
    ) -> SearchResult:
        _ = self.index  # the generation in service (a rebuilt index is picked up here)
        return self.retriever.search(query, k, docs=docs, lang=lang)

    def search(self, query: str, k: int = 5, docs: Sequence[str] | None = None, lang: str | None = None) -> dict:
        self.fresh()
        t0 = time.perf_counter()
        res = self.retrieve(query, k, docs, lang)
        return {
            "query": query,
            "results": [hit_json(h, rank, self.index) for rank, h in enumerate(res.hits, 1)],
            "timings": {"retrieval_ms": round((time.perf_counter() - t0) * 1000, 1)},
        }

    # ------------------------------------------------------------------ documents

    def documents(self) -> list[dict]:
        """Indexed documents (index manifest, completed from corpus/sources.toml for older indexes)."""
        self.fresh()
        return [self._doc_meta(d) for d in self.index.manifest.get("documents", [])]

    def _doc_meta(self, d: dict) -> dict:
        meta = dict(self._source_meta().get(d.get("doc_id", ""), {}))
        meta.update({k: v for k, v in d.items() if v not in (None, "")})
        return {k: meta.get(k) for k in DOC_FIELDS}

    def _source_meta(self) -> dict[str, dict]:
        if self._sources is None:
            from assistant.base.errors import CorpusError
            from assistant.ingest.corpus import load_manifest

            try:
                docs = load_manifest(Path(self.settings.manifest))
            except CorpusError:
                docs = []
            self._sources = {
                d.doc_id: {"doc_id": d.doc_id, "title": d.title, "short": d.short, "lang": d.lang, "version": d.version,
                           "date": d.date, "url": d.url, "licence": d.licence, "nature": d.nature}
                for d in docs
            }  # fmt: skip
        return self._sources

    def unit(self, doc_id: str, ref: str) -> dict | None:
        """The exact source passage of a ref: a chunk ref (split chunks joined) or a finer span inside a chunk."""
        self.fresh()
        chunks = [c for c in self.index.chunks if c.doc_id == doc_id and c.ref == ref]
        if chunks:
            first = chunks[0]
            text = "\n\n".join(c.text for c in chunks)
            label, page, title = first.label, first.page, first.title
            amended = tuple(dict.fromkeys(a for c in chunks for a in c.amended_by))
            lang, version, kind = first.lang, first.version, first.kind
        else:
            found = next(
                ((c, s) for c in self.index.chunks if c.doc_id == doc_id for s in c.spans if s.ref == ref), None
            )
            if found is None:
                return None
            c, s = found
            text = c.text[s.start : s.end]
            label, page, title = s.label, s.page if s.page is not None else c.page, c.title
            amended = c.amended_by
            lang, version, kind = c.lang, c.version, "span"
        doc = next((d for d in self.documents() if d["doc_id"] == doc_id), None) or {}
        return {
            "doc_id": doc_id,
            "ref": ref,
            "label": label,
            "title": title,
            "kind": kind,
            "page": page,
            "lang": lang,
            "version": version,
            "text": text,
            "url": self.index.url(doc_id, ref),
            "licence": doc.get("licence"),
            "nature": doc.get("nature"),
            "document": doc.get("short") or doc.get("title") or doc_id,
            "amended_by": [
                {"doc_id": a.split(":", 1)[0], "ref": a.split(":", 1)[-1], "label": self._label(a)} for a in amended
            ],
        }

    def _label(self, link: str) -> str:
        doc_id, _, ref = link.partition(":")
        c = self.index.chunk_by_key(doc_id, ref)
        return c.label if c else link


DOC_FIELDS = ("doc_id", "title", "short", "lang", "version", "date", "url", "chunks", "licence", "nature")


def hit_json(h: Hit, rank: int, index: Index | None = None) -> dict:
    """One search result; with the index, the passage's official link, licence and nature too."""
    c = h.chunk
    doc = index.source(c.doc_id) if index is not None else {}
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
        "url": index.url(c.doc_id, c.ref) if index is not None else None,
        "licence": doc.get("licence") or None,
        "nature": doc.get("nature") or None,
    }
