"""French BM25: accent-folded words, French stop words removed, Snowball-stemmed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.text.norm import fold

_TOKEN = re.compile(r"[a-z0-9]+")

# Function words that carry no meaning for retrieval (folded). Kept short on purpose:
# words like "pas", "sans", "interdit" matter in legal questions.
_STOP_FR = set(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "l",
        "lui",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "n",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "c",
        "j",
        "m",
        "s",
        "t",
        "y",
        "ete",
        "etre",
        "est",
        "sont",
        "ont",
        "a",
        "avoir",
        "fait",
        "faire",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "quoi",
        "comment",
        "peut",
        "peuvent",
        "doit",
        "doivent",
        "il",
        "elle",
        "cela",
        "ceci",
        "ca",
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "are",
        "for",
        "on",
        "by",
        "be",
        "with",
        "as",
        "or",
        "that",
        "this",
        "which",
        "an",
        "at",
        "from",
        "it",
    ]
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("french")


def tokenize(text: str) -> list[str]:
    words = [w for w in _TOKEN.findall(fold(text)) if w not in _STOP_FR and (len(w) > 1 or w.isdigit())]
    return _stemmer().stemWords(words)


class BM25Index:
    def __init__(self, retriever: Any):  # a bm25s.BM25 (bm25s ships no type information)
        self._r = retriever

    @classmethod
    def build(cls, texts: Sequence[str]) -> BM25Index:
        import bm25s

        r = bm25s.BM25(k1=1.2, b=0.75)
        r.index([tokenize(t) or ["_"] for t in texts], show_progress=False)
        return cls(r)

    def save(self, directory: Path) -> None:
        self._r.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        import bm25s

        return cls(bm25s.BM25.load(str(directory), allow_pickle=False, show_progress=False))

    def vocabulary(self) -> frozenset[str]:
        """Every (stemmed, folded) term of the indexed texts."""
        return frozenset(self._r.vocab_dict)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for the query (0 where no term matches)."""
        vocab = self._r.vocab_dict
        ids = [vocab[t] for t in tokenize(query) if t in vocab]
        if not ids:
            return np.zeros(self._r.scores["num_docs"], dtype=np.float32)
        return np.asarray(self._r.get_scores(ids), dtype=np.float32)
