"""The risk levels of the AI Act as the assessment names them: one declaration for every module.

The levels are law data (`assistant/law/levels.toml`). Each has three French names: `phrase`
(inside a sentence: « relève du haut risque »), `title` (heading of a fiche or a case) and
`short` (a column of an evaluation table), plus the verdict `sentence` of an assessment.
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.law import Level, law

_ALL = law().levels
LEVELS = tuple(lv.id for lv in _ALL)
BY_ID = {lv.id: lv for lv in _ALL}
PHRASE = {lv.id: lv.phrase for lv in _ALL}
TITLE = {lv.id: lv.title for lv in _ALL}
SHORT = {lv.id: lv.short for lv in _ALL}
SENTENCE = {lv.id: lv.sentence for lv in _ALL}
# Strictness of the levels that the Act orders (out-of-scope and undetermined are not on the scale).
RANK = {lv.id: lv.rank for lv in _ALL if lv.rank}


def arguable_line(arguable: Mapping[str, object]) -> str:
    """« Niveau discutable (…) : … » — the two levels, the provisions in balance, the deciding question
    (assessment text and fiche)."""
    levels = arguable.get("levels")
    provisions = arguable.get("provisions")
    shown = " ou ".join(PHRASE.get(str(lv), str(lv)) for lv in levels) if isinstance(levels, list) else ""
    listed = " ; ".join(str(p) for p in provisions) if isinstance(provisions, list) else ""
    return (
        f"Niveau discutable ({shown}) : le plus strict est retenu. Dispositions en balance : {listed}. "
        f"Question qui les départage : {arguable.get('question')}"
    )


__all__ = ["BY_ID", "LEVELS", "PHRASE", "RANK", "SENTENCE", "SHORT", "TITLE", "Level", "arguable_line"]
