"""The risk levels of the AI Act as the assessment names them: one declaration for every module.

Each level has three French names: `phrase` (inside a sentence: « relève du haut risque »),
`title` (heading of a fiche or a case) and `short` (a column of an evaluation table).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    id: str
    phrase: str
    title: str
    short: str


_ALL = (
    Level("prohibited", "pratique interdite", "Pratique interdite", "interdit"),
    Level("high-risk", "haut risque", "Haut risque", "haut risque"),
    Level("limited", "obligations de transparence", "Obligations de transparence (risque limité)", "transparence"),
    Level("minimal", "risque minimal", "Risque minimal", "risque minimal"),
    Level("out-of-scope", "hors du champ du règlement", "Hors du champ du règlement sur l'IA", "hors champ"),
    Level("undetermined", "indéterminé", "Indéterminé : des points sont à clarifier", "indéterminé"),
)
LEVELS = tuple(lv.id for lv in _ALL)
BY_ID = {lv.id: lv for lv in _ALL}
PHRASE = {lv.id: lv.phrase for lv in _ALL}
TITLE = {lv.id: lv.title for lv in _ALL}
SHORT = {lv.id: lv.short for lv in _ALL}
# Strictness of the levels that the Act orders (out-of-scope and undetermined are not on the scale).
RANK = {"minimal": 1, "limited": 2, "high-risk": 3, "prohibited": 4}

__all__ = ["BY_ID", "LEVELS", "PHRASE", "RANK", "SHORT", "TITLE", "Level"]
