"""Typed results of the service: an answer, an assessment, their citations.

`to_json()` gives the contract of docs/PRODUCT.md (« Contracts that evaluation depends on »):
the API, the UI, the CLI, the audit trail and the evaluation all read that JSON form; the
domain code builds and reads the typed objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from assistant.ops.energy import Energy

AI_LABEL = (
    "Réponse générée par une IA à partir des textes de référence — à vérifier ; elle ne constitue pas une décision."
)


@dataclass(frozen=True)
class Citation:
    """A cited passage: `quote` is an exact substring of the passage `doc_id`/`ref`; `n` is its [n] marker."""

    n: int
    doc_id: str
    ref: str
    label: str
    page: int | None
    lang: str
    quote: str
    url: str | None
    amended_by: tuple[str, ...] = ()
    licence: str | None = None  # reuse terms of the cited text (« CC BY-ND 4.0 FR »), shown with it
    nature: str | None = None  # base/natures.py key: reglement | recommandation | departement | autre

    def renumbered(self, n: int) -> Citation:
        return replace(self, n=n)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "doc_id": self.doc_id,
            "ref": self.ref,
            "label": self.label,
            "page": self.page,
            "lang": self.lang,
            "quote": self.quote,
            "url": self.url,
            "amended_by": list(self.amended_by),
            "licence": self.licence,
            "nature": self.nature,
        }


@dataclass(frozen=True)
class ModelInfo:
    llm: str
    embedder: str
    corpus_version: str
    prompt_version: str

    def to_json(self) -> dict[str, str]:
        return {
            "llm": self.llm,
            "embedder": self.embedder,
            "corpus_version": self.corpus_version,
            "prompt_version": self.prompt_version,
        }


@dataclass(kw_only=True)
class Response:
    """What every result carries: the text, its sources, the AI label, the model, time and energy."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation]
    model: ModelInfo
    timings: dict[str, float]
    energy: Energy
    tokens: dict[str, int] = field(default_factory=dict)
    ai_generated: Literal[True] = True
    label: str = AI_LABEL

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "ai_generated": self.ai_generated,
            "label": self.label,
            "citations": [c.to_json() for c in self.citations],
            "model": self.model.to_json(),
            "timings": dict(self.timings),
            "energy": self.energy.as_dict(),
            "tokens": dict(self.tokens),
        }


@dataclass(frozen=True)
class Closest:
    """A passage shown when the assistant abstains: the closest ones, to read."""

    doc_id: str
    ref: str
    label: str
    page: int | None

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "ref": self.ref, "label": self.label, "page": self.page}


@dataclass(kw_only=True)
class Answer(Response):
    """`assistant ask` / POST /v1/ask."""

    verdict: str | None = None  # category of the cited provision: interdit, haut-risque, transparence
    closest: list[Closest] = field(default_factory=list)  # when abstaining
    abstention_reason: str | None = None
    signals: dict[str, float] = field(default_factory=dict)  # evidence strength (best dense, best BM25)

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out["verdict"] = self.verdict
        if self.abstained:
            out["closest"] = [c.to_json() for c in self.closest]
        if self.abstention_reason:
            out["abstention_reason"] = self.abstention_reason
        out["signals"] = dict(self.signals)
        return out


@dataclass(frozen=True)
class ListItem:
    """One line of an assessment's list (an obligation, a charter item) with the citations it rests on."""

    text: str
    citations: tuple[Citation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "citations": [c.to_json() for c in self.citations]}


@dataclass(kw_only=True)
class Assessment(Response):
    """`assistant assess` / POST /v1/assess: the ask fields plus the level and what follows from it."""

    risk_level: str
    risk_label: str
    obligations: list[ListItem] = field(default_factory=list)
    charter: list[ListItem] = field(default_factory=list)
    recommendations: list[ListItem] = field(default_factory=list)  # the CNIL's advice (does not bind)
    to_clarify: list[str] = field(default_factory=list)
    human_decision: str = ""
    grounds: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    fact_sources: dict[str, Any] = field(default_factory=dict)
    extraction: dict[str, Any] = field(default_factory=dict)
    # Two levels open to argument (art. 5 or Annex III): levels, provisions, the deciding question.
    arguable: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = super().to_json()
        out.update(
            {
                "risk_level": self.risk_level,
                "risk_label": self.risk_label,
                "obligations": [o.to_json() for o in self.obligations],
                "charter": [c.to_json() for c in self.charter],
                "recommendations": [r.to_json() for r in self.recommendations],
                "to_clarify": list(self.to_clarify),
                "human_decision": self.human_decision,
                "grounds": [dict(g) for g in self.grounds],
                "facts": dict(self.facts),
                "fact_sources": dict(self.fact_sources),
                "extraction": dict(self.extraction),
                "arguable": dict(self.arguable) if self.arguable else None,
            }
        )
        return out


__all__ = ["AI_LABEL", "Answer", "Assessment", "Citation", "Closest", "ListItem", "ModelInfo", "Response"]
