"""Prohibited practices evoked by meaning: the description's sentences against the law data's plain
sentences of each practice of art. 5 (`[[practice_sense]]` of law/cues-*.toml), with the sentence
embedder of the search.

The keyword cues (`riskmap.keyword_facts`) only see the wordings their patterns foresaw; a project
owner who never read the Act writes « on relance les seniors qui hésitent en leur disant que l'offre
disparaît ce soir ». A sentence of the description whose cosine similarity with one of a practice's
sentences reaches `SENSE_THRESHOLD` evokes that practice exactly as a keyword cue does: the practice
cannot be excluded (no « minimal », no « limité » while it stays open) and the model is asked its
targeted yes/no question. A sense never establishes a practice: only the description's words or a
targeted « oui » with its supporting passage do.

    Senses(embed).cues(text)    practice fact → the sentence of the description that evokes it
    Senses(embed).scores(text)  practice fact → (best similarity, that sentence), for calibration
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence

import numpy as np

from assistant.base.tuning import SENSE_MAX_SENTENCES, SENSE_THRESHOLD
from assistant.law import law
from assistant.text.norm import fold

Embed = Callable[[Sequence[str]], np.ndarray]  # texts → unit vectors, one row per text
_SENTENCE = re.compile(r"[^.;!?\n]+")


def sentences(text: str, limit: int = SENSE_MAX_SENTENCES) -> list[str]:
    """The description's sentences (and semicolon-separated parts) worth comparing: 12 characters or more."""
    out: list[str] = []
    for m in _SENTENCE.finditer(text):
        s = m.group(0).strip()
        if len(s) >= 12 and s not in out:
            out.append(s)
        if len(out) == limit:
            break
    return out


class Senses:
    def __init__(self, embed: Embed, threshold: float = SENSE_THRESHOLD):
        self._embed = embed
        self.threshold = threshold
        self._lock = threading.Lock()
        self._matrix: np.ndarray | None = None
        self._facts: list[str] = []

    def _prototypes(self) -> tuple[np.ndarray, list[str]]:
        with self._lock:
            if self._matrix is None:
                data = law()
                facts, texts = [], []
                for sense in (*data.cues_fr.practice_senses, *data.cues_en.practice_senses):
                    for example in sense.examples:
                        facts.append(sense.fact)
                        texts.append(example)
                self._matrix = np.asarray(self._embed(texts), dtype=np.float32)
                self._facts = facts
            return self._matrix, self._facts

    def scores(self, text: str) -> dict[str, tuple[float, str]]:
        """Each practice → the best similarity of one of its sentences with one of the description's, and
        the description's sentence."""
        parts = sentences(text)
        if not parts:
            return {}
        matrix, facts = self._prototypes()
        sims = np.asarray(self._embed(parts), dtype=np.float32) @ matrix.T  # sentences × examples
        out: dict[str, tuple[float, str]] = {}
        for j, fact in enumerate(facts):
            i = int(np.argmax(sims[:, j]))
            score = float(sims[i, j])
            if fact not in out or score > out[fact][0]:
                out[fact] = (score, parts[i])
        return out

    def cues(self, text: str) -> dict[str, str]:
        """The practices the description evokes by meaning: fact → its sentence, folded like a keyword
        cue's words (the passage of a targeted « oui » must share a word with it)."""
        return {
            fact: fold(sentence)[:240]
            for fact, (score, sentence) in self.scores(text).items()
            if score >= self.threshold
        }


__all__ = ["Embed", "Senses", "sentences"]
