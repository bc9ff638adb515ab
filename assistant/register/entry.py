"""A register entry: one planned or running use of AI, from its assessment to the human decision.

An entry is a plain value (`Entry`), stored whole at each version (store.py keeps every version).
Fields are either public (they may appear in the published register: export.py takes only
`PUBLIC_FIELDS`) or internal (who created it, the facts, the full assessment, who decided).
The assistant proposes the level and the obligations; the decision is a person's (`Decision`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.assess import fiche
from assistant.assess.levels import TITLE as LEVEL_TITLE
from assistant.base.errors import InputError
from assistant.ops.redact import redact
from assistant.text.citations import MARKER_RUN

STATES = ("draft", "submitted", "decided", "in_service", "withdrawn")
STATE_LABEL = {
    "draft": "brouillon",
    "submitted": "soumise au référent IA",
    "decided": "décidée",
    "in_service": "en service",
    "withdrawn": "retirée",
}
DECISIONS = {
    "approved": "approuvé",
    "approved_with_conditions": "approuvé sous conditions",
    "refused": "refusé",
    "needs_impact_assessment": "analyse d'impact requise avant décision",
}
OBLIGATION_STATUS = {"todo": "à faire", "done": "fait", "na": "sans objet"}

MAX_TITLE = 120
MAX_SHORT = 200  # service, contact role
MAX_TEXT = 4000  # description, reasons, note

# What the published register may show (export.py); every other field is internal.
PUBLIC_FIELDS = (
    "id",
    "version",
    "state",
    "title",
    "description",
    "service",
    "contact_role",
    "level",
    "grounds",
    "obligations",
    "charter",
    "decision",
    "created",
    "updated",
    "corpus_version",
)
INTERNAL_FIELDS = ("owner", "facts", "to_clarify", "assessment", "reassessment", "review_needed")


def clean(text: object, limit: int, what: str, *, required: bool = False) -> str:
    """One line or paragraph of user text, trimmed and bounded; a French error when it is missing or too long."""
    value = " ".join(str(text or "").split()) if limit <= MAX_SHORT else str(text or "").strip()
    if required and not value:
        raise InputError(f"{what} : champ obligatoire.")
    if len(value) > limit:
        raise InputError(f"{what} : {limit} caractères au plus (reçu {len(value)}).")
    return value


def obligation_key(text: str) -> str:
    """Stable key of an obligation: its text without quotes or markers (so statuses survive a re-assessment)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Obligation:
    key: str
    text: str
    status: str = "todo"  # OBLIGATION_STATUS
    on: str | None = None  # date of the last status change
    by: str | None = None  # role of who set it (never a name)
    note: str = ""


@dataclass(frozen=True)
class Decision:
    outcome: str  # DECISIONS
    reasons: str
    on: str
    by_role: str  # public: « référent IA », « administrateur »
    by: str = ""  # internal: the decider's audit pseudonym


@dataclass(frozen=True)
class Entry:
    id: str
    version: int
    state: str
    title: str
    description: str
    service: str
    contact_role: str
    owner: str  # audit pseudonym of the agent who created it
    level: str
    grounds: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    charter: tuple[str, ...] = ()
    to_clarify: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)
    assessment: Mapping[str, Any] = field(default_factory=dict)  # the assessment JSON (for the fiche)
    decision: Decision | None = None
    reassessment: Mapping[str, Any] | None = None  # what the last re-assessment changed
    review_needed: bool = False  # a re-assessment changed the level or obligations after a decision
    created: str = ""
    updated: str = ""
    corpus_version: str = ""

    @property
    def level_title(self) -> str:
        return LEVEL_TITLE.get(self.level, self.level)

    @property
    def state_label(self) -> str:
        return STATE_LABEL.get(self.state, self.state)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["grounds"] = list(self.grounds)
        out["charter"] = list(self.charter)
        out["to_clarify"] = list(self.to_clarify)
        out["obligations"] = [asdict(o) for o in self.obligations]
        out["facts"] = dict(self.facts)
        out["assessment"] = dict(self.assessment)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Entry:
        dec = d.get("decision")
        return cls(
            **{k: d[k] for k in ("id", "version", "state", "title", "description", "service", "contact_role")},
            owner=d["owner"],
            level=d["level"],
            grounds=tuple(d.get("grounds") or ()),
            obligations=tuple(Obligation(**o) for o in d.get("obligations") or ()),
            charter=tuple(d.get("charter") or ()),
            to_clarify=tuple(d.get("to_clarify") or ()),
            facts=dict(d.get("facts") or {}),
            assessment=dict(d.get("assessment") or {}),
            decision=Decision(**dec) if dec else None,
            reassessment=d.get("reassessment"),
            review_needed=bool(d.get("review_needed")),
            created=d.get("created") or "",
            updated=d.get("updated") or "",
            corpus_version=d.get("corpus_version") or "",
        )

    def public(self) -> dict[str, Any]:
        """The published view: PUBLIC_FIELDS only, free text redacted, the decider's pseudonym left out."""
        d = self.to_json()
        out: dict[str, Any] = {k: d[k] for k in PUBLIC_FIELDS}
        out["title"] = redact(self.title)  # by default the description's first sentence
        out["description"] = redact(self.description)
        out["level_title"] = self.level_title
        out["state_label"] = self.state_label
        out["obligations"] = [
            {"text": o.text, "status": o.status, "status_label": OBLIGATION_STATUS[o.status], "on": o.on}
            for o in self.obligations
        ]
        if self.decision is not None:
            out["decision"] = {
                "outcome": self.decision.outcome,
                "outcome_label": DECISIONS[self.decision.outcome],
                "reasons": redact(self.decision.reasons),
                "on": self.decision.on,
                "by_role": self.decision.by_role,
            }
        return out

    def anonymised(self) -> dict[str, Any]:
        """A worked case for trainers: the public view without service nor contact."""
        out = self.public()
        out["service"] = ""
        out["contact_role"] = ""
        return out


@dataclass(frozen=True)
class Proposal:
    """What an assessment proposes for an entry: level, grounds, obligations, charter items."""

    level: str
    grounds: tuple[str, ...]
    obligations: tuple[str, ...]
    charter: tuple[str, ...]
    to_clarify: tuple[str, ...]
    facts: Mapping[str, Any]
    corpus_version: str

    @classmethod
    def of(cls, assessment: Mapping[str, Any]) -> Proposal:
        """Read an assessment's JSON (the contract of /v1/assess) through the fiche's reading of it."""
        if not assessment.get("risk_level"):
            raise InputError("Évaluation incomplète : niveau de risque absent ; relancez l'évaluation du projet.")
        d = fiche.fiche_data(assessment)
        model = assessment.get("model")
        return cls(
            level=str(assessment["risk_level"]),
            grounds=_bare(d["grounds"]),
            obligations=tuple(dict.fromkeys(_bare(d["obligations"]))),
            charter=_bare(d["charter"]),
            to_clarify=tuple(d["to_clarify"]),
            facts=dict(assessment.get("facts") or {}),
            corpus_version=str(model.get("corpus_version") or "") if isinstance(model, Mapping) else "",
        )

    def obligations_keeping(self, old: tuple[Obligation, ...]) -> tuple[Obligation, ...]:
        """The proposed obligations, each keeping the status it had in `old` when its text is unchanged."""
        before = {o.key: o for o in old}
        out = []
        for text in self.obligations:
            key = obligation_key(text)
            out.append(before.get(key) or Obligation(key=key, text=text))
        return tuple(out)


def _bare(items: list[str]) -> tuple[str, ...]:
    """The items without the assessment's citation markers ([3] means nothing outside that assessment)."""
    return tuple(MARKER_RUN.sub("", x).strip() for x in items)


def changes(entry: Entry, proposal: Proposal) -> dict[str, Any]:
    """What a re-assessment changes: level, obligations added and removed, corpus version."""
    old = {o.text for o in entry.obligations}
    new = set(proposal.obligations)
    return {
        "level_before": entry.level,
        "level_after": proposal.level,
        "level_changed": entry.level != proposal.level,
        "obligations_added": [t for t in proposal.obligations if t not in old],
        "obligations_removed": [o.text for o in entry.obligations if o.text not in new],
        "corpus_before": entry.corpus_version,
        "corpus_after": proposal.corpus_version,
    }


def materially_changed(diff: Mapping[str, Any]) -> bool:
    return bool(diff["level_changed"] or diff["obligations_added"] or diff["obligations_removed"])


__all__ = [
    "DECISIONS",
    "INTERNAL_FIELDS",
    "OBLIGATION_STATUS",
    "PUBLIC_FIELDS",
    "STATES",
    "STATE_LABEL",
    "Decision",
    "Entry",
    "Obligation",
    "Proposal",
    "changes",
    "clean",
    "materially_changed",
    "obligation_key",
]
