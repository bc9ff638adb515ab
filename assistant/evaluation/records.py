"""What a run is made of: the lines of a question set, their records, the risk levels scored."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.assess import levels

RISK_LEVELS = levels.LEVELS
RISK_LABELS_FR = levels.SHORT
RECALL_KS = (1, 5, 10)


def is_scenario(q: dict) -> bool:
    return "description" in q and "risk_level" in q


def prompt_of(q: dict) -> str:
    """What is sent to the assistant for this line."""
    return str(q["description"] if is_scenario(q) else q["question"])


@dataclass
class Record:
    """One line of the set and what became of it."""

    q: dict
    resp: dict | None = None
    score: dict | None = None
    status: str = "ok"  # ok | skipped | error | pending
    note: str = ""


__all__ = ["RECALL_KS", "RISK_LABELS_FR", "RISK_LEVELS", "Record", "is_scenario", "prompt_of"]
