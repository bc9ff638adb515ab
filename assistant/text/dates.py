"""French and English dates: month names, date patterns, conversion to French.

The amending act 2026/1744 is in English (« 2 December 2027 »), answers are in French
(« 2 décembre 2027 »): every module that reads or writes a date uses these.
"""

from __future__ import annotations

import datetime
import re

from assistant.text.norm import fold

MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
FRENCH_MONTH = {en.lower(): fr for en, fr in zip(MONTHS_EN, MONTHS_FR, strict=True)}

EN_DATE = re.compile(r"\b(\d{1,2}) (" + "|".join(MONTHS_EN) + r") (\d{4})\b")
FR_DATE = re.compile(r"\b(\d{1,2}|1er) (" + "|".join(MONTHS_FR) + r") (\d{4})\b")
# A French date in accent-folded text (see text.norm.fold).
FR_DATE_FOLDED = re.compile(r"\b(?:1er|\d{1,2}) (?:" + "|".join(fold(m) for m in MONTHS_FR) + r") \d{4}\b")
# Either language, as written in the texts (« 2 août 2026 », « 1er août 2025 », « 2 August 2026 »).
ANY_DATE = re.compile(r"\b\d{1,2}(?:er)? (?:" + "|".join((*MONTHS_FR, *MONTHS_EN)) + r") \d{4}\b")


def to_french(date: str) -> str:
    """« 2 December 2027 » → « 2 décembre 2027 »; anything else is returned unchanged."""
    m = EN_DATE.fullmatch(date)
    return f"{int(m.group(1))} {FRENCH_MONTH[m.group(2).lower()]} {m.group(3)}" if m else date


def french_dates(text: str) -> list[str]:
    """The dates of a text, in French, in order, without repeats (English ones converted)."""
    out = [f"{int(d)} {FRENCH_MONTH[m.lower()]} {y}" for d, m, y in EN_DATE.findall(text)]
    out += [f"{d} {m} {y}" for d, m, y in FR_DATE.findall(text)]
    return list(dict.fromkeys(out))


def format_date(d: datetime.date | None = None) -> str:
    """A date as French administrative writing has it: « 1er décembre 2026 », « 2 décembre 2026 »."""
    d = d or datetime.date.today()
    return f"{'1er' if d.day == 1 else d.day} {MONTHS_FR[d.month - 1]} {d.year}"


__all__ = [
    "ANY_DATE",
    "EN_DATE",
    "FRENCH_MONTH",
    "FR_DATE",
    "FR_DATE_FOLDED",
    "MONTHS_EN",
    "MONTHS_FR",
    "format_date",
    "french_dates",
    "to_french",
]
