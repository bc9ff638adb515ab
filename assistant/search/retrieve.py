"""Hybrid retrieval: dense (FAISS) + French BM25 fused by weighted reciprocal rank,
plus direct lookup of provisions the question names ("article 26", "annexe III", "défi 6").

Recitals are down-weighted: they paraphrase the articles and would otherwise outrank
the operative provision (LESSONS.md, 1). A named provision is boosted, not pinned, so
a question that mentions an article in passing still gets what it asks about (10).
The weights, slots and recital factor are tuned numbers: assistant/base/tuning.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.base.tuning import NAMED_SLOTS, RECITAL_FACTOR, RRF_K, TOPIC_SLOTS, W_BM25, W_DENSE, W_LOOKUP, W_TOPIC
from assistant.base.units import Chunk
from assistant.search.embed import Embedder
from assistant.search.index import Index
from assistant.search.thesaurus import GENERIC_TOPICS, expand, topics
from assistant.text.norm import fold


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused score (rank-based; not an absolute relevance measure)
    dense: float  # cosine similarity of query and passage
    bm25: float  # raw BM25 score
    named: bool = False  # the question names this provision


@dataclass(frozen=True)
class NamedRef:
    doc_id: str
    ref: str


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    named: list[NamedRef] = field(default_factory=list)
    max_dense: float = 0.0
    max_bm25: float = 0.0
    concepts: list[str] = field(default_factory=list)  # AI Act concepts recognised in the question


_ROMAN = "(?:x{0,3})(?:ix|iv|v?i{0,3})"
_ART = re.compile(
    r"\bart(?:icle|\.)?s?\s*(premier|1er|\d{1,3}\s?[a-z]?)\b"
    r"(?:\s*\((\d{1,2}[a-z]?)\))?(?:\s*\(([a-z]{1,2})\))?"
    r"(?:\s*,?\s*(?:paragraphe|par\.|§|alinea)\s*(\d{1,2}))?"
    r"(?:\s*,?\s*points?\s*([a-z]{1,2})\)?)?"
)
_ANNEX = re.compile(
    rf"\bannexe?\s+({_ROMAN})\b(?:\s*,?\s*(?:section\s+([a-d])\s*,?\s*)?points?\s*(\d{{1,2}})\s*(?:([a-z])\))?)?"
)
_RECITAL = re.compile(r"\b(?:considerant|recital)s?\s*(?:n[o°]?\s*)?\(?(\d{1,3})\)?")
_DEFI = re.compile(r"\bdefi\s*(?:n[o°]?\s*)?(\d)\b")


def named_refs(query: str) -> list[NamedRef]:
    """Provisions named in the question, as (doc, ref prefix)."""
    q = fold(query)
    # "article N" means the AI Act's article N (the amending act's own articles 1-4 are
    # named with it only when the question says "article N du règlement 2026/1744").
    own = re.search(
        r"articles?\s*(\d)\s*(?:du|de ce|de la)\s*(?:reglement|regulation)?\s*(?:\(ue\)\s*)?2026\s*/\s*1744", q
    )
    doc = "ai-act"
    out: list[NamedRef] = []
    for m in _ART.finditer(q):
        num = m.group(1).replace(" ", "")
        num = "1" if num in ("premier", "1er") else num
        para = m.group(2) or m.group(4)
        point = m.group(3) or m.group(5)
        ref = f"art-{num}" + (f"-{para}" if para else "") + (f"-{point}" if para and point else "")
        out.append(NamedRef("ai-act-2026-1744" if own and own.group(1) == num else doc, ref))
    for m in _ANNEX.finditer(q):
        if not m.group(1):
            continue
        ref = (
            f"annex-{m.group(1)}" + (f"-{m.group(2)}" if m.group(2) else "") + (f"-{m.group(3)}" if m.group(3) else "")
        )
        ref += f"-{m.group(4)}" if m.group(3) and m.group(4) else ""
        out.append(NamedRef("ai-act", ref))
    out += [NamedRef("ai-act", f"recital-{m.group(1)}") for m in _RECITAL.finditer(q)]
    out += [NamedRef("charte", f"defi-{m.group(1)}") for m in _DEFI.finditer(q) if m.group(1) in "1234567"]
    return list(dict.fromkeys(out))


class Retriever:
    def __init__(self, index: Index, embedder: Embedder):
        self.index = index
        self.embedder = embedder
        self._doc_ids = np.array([c.doc_id for c in index.chunks])
        self._langs = np.array([c.lang for c in index.chunks])
        self._recital = np.array([c.kind == "recital" for c in index.chunks])

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        docs: Sequence[str] | None = None,
        lang: str | None = None,
        qvec: np.ndarray | None = None,
    ) -> SearchResult:
        chunks = self.index.chunks
        n = len(chunks)
        allowed = np.ones(n, dtype=bool)
        if docs:
            allowed &= np.isin(self._doc_ids, list(docs))
        if lang:
            allowed &= self._langs == lang
        if qvec is None:
            qvec = self.embedder.embed_query(query)
        dense_scores, dense_ids = self.index.dense_search(qvec, n)
        dense = np.full(n, -1.0, dtype=np.float32)
        dense[dense_ids[dense_ids >= 0]] = dense_scores[dense_ids >= 0]
        bm25 = self.index.bm25.scores(expand(query))

        base = W_DENSE * _rrf(np.where(allowed, dense, -np.inf)) + W_BM25 * _rrf(
            np.where(allowed & (bm25 > 0), bm25, -np.inf)
        )
        fused = base.copy()
        named = named_refs(query)
        named_mask = np.zeros(n, dtype=bool)
        for nr in named:
            mask = np.array([_names(c, nr) for c in chunks]) & allowed
            named_mask |= mask
            fused += W_LOOKUP * _rrf(_top_only(np.where(mask, base, -np.inf), NAMED_SLOTS))
        matched = topics(query)
        for topic in matched:
            for doc_id, ref in topic.targets:  # each target provision gets its own bounded slot
                mask = np.array(
                    [c.doc_id == doc_id and (not ref or c.ref == ref or c.ref.startswith(ref + "-")) for c in chunks]
                )
                fused += W_TOPIC * _rrf(_top_only(np.where(mask & allowed, base, -np.inf), TOPIC_SLOTS))
        fused = np.where(self._recital, fused * RECITAL_FACTOR, fused)
        fused = np.where(allowed, fused, -np.inf)
        order = np.argsort(-fused, kind="stable")[:k]
        hits = [
            Hit(chunks[i], float(fused[i]), float(dense[i]), float(bm25[i]), bool(named_mask[i]))
            for i in order
            if np.isfinite(fused[i]) and fused[i] > 0
        ]
        return SearchResult(
            query,
            hits,
            named,
            float(dense[allowed].max()) if allowed.any() else 0.0,
            float(bm25[allowed].max()) if allowed.any() else 0.0,
            [t.name for t in matched if t.name not in GENERIC_TOPICS],
        )


def _top_only(scores: np.ndarray, m: int) -> np.ndarray:
    """Keep the m best finite scores, -inf elsewhere (a bounded boost)."""
    finite = np.where(np.isfinite(scores))[0]
    if len(finite) <= m:
        return scores
    keep = finite[np.argsort(-scores[finite], kind="stable")[:m]]
    out = np.full(len(scores), -np.inf)
    out[keep] = scores[keep]
    return out


def _names(c: Chunk, nr: NamedRef) -> bool:
    """The chunk is the named provision (or under it), or an amendment of it."""

    def under(ref: str) -> bool:
        return ref == nr.ref or ref.startswith(nr.ref + "-")

    if c.doc_id == nr.doc_id or (nr.doc_id == "ai-act" and c.doc_id == "ai-act-en"):
        return under(c.ref)
    return nr.doc_id == "ai-act" and any(under(a) for a in c.amends)


def _rrf(scores: np.ndarray) -> np.ndarray:
    """1/(K + rank) for finite scores (rank 1 = best), 0 elsewhere."""
    out = np.zeros(len(scores), dtype=np.float64)
    finite = np.isfinite(scores)
    if not finite.any():
        return out
    idx = np.where(finite)[0]
    order = idx[np.argsort(-scores[idx], kind="stable")]
    out[order] = 1.0 / (RRF_K + np.arange(1, len(order) + 1))
    return out
