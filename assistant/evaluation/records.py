"""What a run is made of: the lines of a question set, their records, the risk levels scored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.assess import levels
from assistant.base.errors import AssistantError

RISK_LEVELS = levels.LEVELS
RISK_LABELS_FR = levels.SHORT
RECALL_KS = (1, 5, 10)


def jsonl_lines(path: Path, what: str) -> Iterator[tuple[int, dict]]:
    """The JSON objects of a JSONL set with their line numbers (blank lines skipped); a French error
    naming the file and line for a missing file or an invalid line."""
    path = Path(path)
    if not path.is_file():
        raise AssistantError(f"Fichier de {what} introuvable : {path}.")
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except ValueError as exc:
            raise AssistantError(f"{path.name}, ligne {n} : JSON invalide ({exc}). Corrigez la ligne.") from None


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
