"""The risk levels of the AI Act as the assessment names them: one declaration for every module.

The levels are law data (`assistant/law/levels.toml`). Each has three French names: `phrase`
(inside a sentence: « relève du haut risque »), `title` (heading of a fiche or a case) and
`short` (a column of an evaluation table), plus the verdict `sentence` of an assessment.
"""

from __future__ import annotations

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

__all__ = ["BY_ID", "LEVELS", "PHRASE", "RANK", "SENTENCE", "SHORT", "TITLE", "Level"]
