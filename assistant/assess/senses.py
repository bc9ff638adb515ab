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

The same pass reads the facts of art. 50 that a description states without naming them
(`[[fact_sense]]`: people talk with the system; a real person made to say what they never said): a
clause, not negated, at `FACT_SENSE_THRESHOLD` or more states the fact as the description's words
would (`riskmap.keyword_facts`), the explicit words winning.

    Senses(embed).read(text)        (practices evoked: fact → sentence, facts stated: fact → (value, sentence))
    Senses(embed).reading(text)     the same, with each practice's best similarity (judge gates)
    Senses(embed).cues(text)        the practices evoked only
    Senses(embed).scores(text)      practice fact → (best similarity, that sentence), for calibration
    Senses(embed).all_scores(text)  every sense, practices and facts, for calibration
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.base.tuning import FACT_SENSE_THRESHOLD, SENSE_MAX_SENTENCES, SENSE_THRESHOLD
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


_NEGATED = re.compile(r"\b(ne|n'|aucune?|rien|jamais|not|never|no|doesn't|without)(\b|(?<='))")


def negated(sentence: str) -> bool:
    """A clause that denies what it names (« il ne traite aucun dossier ») states no function."""
    return bool(_NEGATED.search(fold(sentence)))


@dataclass
class Reading:
    """What the senses read in one description."""

    cues: dict[str, str] = field(default_factory=dict)  # practice evoked → its sentence, folded
    facts: dict[str, tuple[str, str]] = field(default_factory=dict)  # fact of art. 50 → (value, sentence)
    practices: dict[str, tuple[float, str]] = field(default_factory=dict)  # practice → (best similarity, sentence)


class Senses:
    def __init__(self, embed: Embed, threshold: float = SENSE_THRESHOLD, fact_threshold: float = FACT_SENSE_THRESHOLD):
        self._embed = embed
        self.threshold = threshold
        self.fact_threshold = fact_threshold
        self._lock = threading.Lock()
        self._matrix: np.ndarray | None = None
        self._labels: list[tuple[str, str]] = []  # per example: (practice fact, "") or (fact, value)
        self._negatable: list[bool] = []

    def _prototypes(self) -> tuple[np.ndarray, list[tuple[str, str]]]:
        with self._lock:
            if self._matrix is None:
                data = law()
                labels: list[tuple[str, str]] = []
                texts: list[str] = []
                negatable: list[bool] = []
                for sense in (*data.cues_fr.practice_senses, *data.cues_en.practice_senses):
                    labels += [(sense.fact, "")] * len(sense.examples)
                    texts += sense.examples
                    negatable += [False] * len(sense.examples)
                for fs in (*data.cues_fr.fact_senses, *data.cues_en.fact_senses):
                    labels += [(fs.fact, fs.value)] * len(fs.examples)
                    texts += fs.examples
                    negatable += [fs.negatable] * len(fs.examples)
                self._matrix = np.asarray(self._embed(texts), dtype=np.float32)
                self._labels, self._negatable = labels, negatable
            return self._matrix, self._labels

    def all_scores(self, text: str) -> dict[tuple[str, str], tuple[float, str]]:
        """Each sense → the best similarity of one of its sentences with one of the description's, and
        the description's sentence: (practice, "") for a practice, (fact, value) for a fact of art. 50
        (negated clauses left out unless the sense says otherwise)."""
        parts = sentences(text)
        if not parts:
            return {}
        matrix, labels = self._prototypes()
        sims = np.asarray(self._embed(parts), dtype=np.float32) @ matrix.T  # sentences × examples
        denied = np.array([negated(p) for p in parts])
        out: dict[tuple[str, str], tuple[float, str]] = {}
        for j, label in enumerate(labels):
            column = np.where(denied, -1.0, sims[:, j]) if self._negatable[j] else sims[:, j]
            i = int(np.argmax(column))
            score = float(column[i])
            if label not in out or score > out[label][0]:
                out[label] = (score, parts[i])
        return out

    def scores(self, text: str) -> dict[str, tuple[float, str]]:
        """Each practice → (best similarity, the description's sentence), for calibration."""
        return {fact: v for (fact, value), v in self.all_scores(text).items() if not value}

    def read(self, text: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
        """(practices the description evokes by meaning: fact → its sentence folded like a keyword cue's
        words — the passage of a targeted « oui » must share a word with it —, facts of art. 50 it
        states by meaning: fact → (value, its sentence))."""
        reading = self.reading(text)
        return reading.cues, reading.facts

    def reading(self, text: str) -> Reading:
        """`read`, with each practice's best similarity and sentence (one embedding pass)."""
        out = Reading()
        for (fact, value), (score, sentence) in self.all_scores(text).items():
            if not value:
                out.practices[fact] = (score, sentence)
                if score >= self.threshold:
                    out.cues[fact] = fold(sentence)[:240]
            elif score >= self.fact_threshold:
                out.facts[fact] = (value, sentence[:240])
        return out

    def cues(self, text: str) -> dict[str, str]:
        """The practices the description evokes by meaning (see `read`)."""
        return self.read(text)[0]


__all__ = ["Embed", "Reading", "Senses", "negated", "sentences"]
