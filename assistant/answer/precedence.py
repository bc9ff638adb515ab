"""Which kind of text each cited passage comes from, binding texts first, and attributions.

When the AI Act and a CNIL recommendation both answer, the answer quotes the regulation
first and says of each group what it is (« texte contraignant », « recommandation d'une
autorité de régulation »): the agent must not take advice for an obligation. A text under a
licence that requires attribution (the CNIL's CC BY-ND) gets a line naming the source, its
address and the licence; its passages are only ever quoted verbatim.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from assistant.base.natures import nature

T = TypeVar("T")


def grouped(items: Sequence[T], nature_of: Callable[[T], str | None]) -> list[tuple[str, list[T]]]:
    """Items grouped by nature, binding texts first; order kept inside a group."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(nature(nature_of(item)).key, []).append(item)
    return sorted(groups.items(), key=lambda kv: nature(kv[0]).rank)


def heading(key: str) -> str:
    """The line above a group of quoted passages."""
    n = nature(key)
    return "Texte applicable :" if n.key == "autre" else f"Texte applicable — {n.label} :"


def attributions(sources: Sequence[dict]) -> list[str]:
    """One line per cited licensed document: source, address, licence (CC BY-ND: verbatim)."""
    lines: list[str] = []
    seen: set[str] = set()
    for doc in sources:
        licence = doc.get("licence")
        if not licence or doc.get("doc_id") in seen:
            continue
        seen.add(str(doc.get("doc_id")))
        name = doc.get("short") or doc.get("title") or doc.get("doc_id")
        url = f", {doc['url']}" if doc.get("url") else ""
        verbatim = " ; passages cités à l'identique, sans modification" if "ND" in licence.upper() else ""
        lines.append(f"Source : {name}{url} — licence {licence}{verbatim}.")
    return lines


__all__ = ["attributions", "grouped", "heading"]
