"""The law as reviewed data: the AI Act's risk map, keyword cues, deployer obligations, charter
challenges, article 113's chapter schedule, the thesaurus and the training topic index.

The data files (`*.toml` beside this module, explained in French in docs/LAW-DATA.md) are read
once, checked (`load.py`) and returned as typed frozen objects (`model.py`); a malformed file
raises `ConfigError` naming the file, the entry and the field. The assessment, answer, search
and training packages read them through `law()`; the decision and matching logic stay there.
"""

from __future__ import annotations

from assistant.law.fields import data_error
from assistant.law.load import FILES, LEVEL_IDS, law, load
from assistant.law.model import (
    AI_ACT,
    AMENDING_ACT,
    CHARTER,
    CONDITIONS,
    DOCS,
    HIGH,
    LOW,
    NO,
    TRI,
    UNKNOWN,
    YES,
    Entry,
    Fact,
    Law,
    Level,
    Ref,
    Rule,
    ThesaurusTopic,
)

__all__ = [
    "AI_ACT",
    "AMENDING_ACT",
    "CHARTER",
    "CONDITIONS",
    "DOCS",
    "FILES",
    "HIGH",
    "LEVEL_IDS",
    "LOW",
    "NO",
    "TRI",
    "UNKNOWN",
    "YES",
    "Entry",
    "Fact",
    "Law",
    "Level",
    "Ref",
    "Rule",
    "ThesaurusTopic",
    "data_error",
    "law",
    "load",
]
