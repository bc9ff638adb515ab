"""What kind of text a reference document is, and what its word weighs.

A passage of the AI Act binds; a CNIL recommendation advises; the département's charter
frames the use inside the département. Answers say which kind each passage comes from and
list binding texts first, then the département's own rules (they bind its agents), then a
regulator's advice (answer/precedence.py). The kind is declared per document in
corpus/sources.toml (`nature = "…"`) or by the administrator who adds a document.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Nature:
    key: str
    rank: int  # lower first: binding texts before advice
    label: str  # French, shown in answers and source cards


NATURES: dict[str, Nature] = {
    n.key: n
    for n in (
        Nature("reglement", 0, "texte contraignant (règlement européen)"),
        Nature("departement", 1, "texte du Département"),  # binds the agents (internal rule), not the law
        Nature("recommandation", 2, "recommandation d'une autorité de régulation"),
        Nature("autre", 3, "document de référence"),
    )
}
DEFAULT_NATURE = "autre"


def nature(key: str | None) -> Nature:
    """The nature of a key; an unknown or empty key is a plain reference document."""
    return NATURES.get(key or "", NATURES[DEFAULT_NATURE])


def check_nature(key: str) -> str:
    """The key if known, else a French message naming the accepted ones (for validation)."""
    if key in NATURES:
        return ""
    return f"nature « {key} » inconnue (attendu : {', '.join(NATURES)})"


__all__ = ["DEFAULT_NATURE", "NATURES", "Nature", "check_nature", "nature"]
