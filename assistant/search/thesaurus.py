"""A small topical index of the reference texts, as a lawyer's index at the back of a code.

Two kinds of entries help retrieval where words alone fail:
- `EXPANSIONS`: everyday words an agent uses, mapped to the words the texts use
  ("chatbot" → "interagir directement avec des personnes physiques"); added to the
  lexical query only.
- `TOPICS`: questions of a recognisable kind (a date of application, a fine, a
  definition, the 2026 amendment) and the provisions that settle that kind of question
  in general (article 113 for dates, article 99 for fines…). Their best passages get
  a bounded boost; they never replace what the search found.

Entries are about the texts, not about any question set; keep them general. They are law data
(`assistant/law/thesaurus.toml`), reviewed with the other tables of the law.
"""

from __future__ import annotations

import re

from assistant.law import ThesaurusTopic, law
from assistant.text.norm import fold

Topic = ThesaurusTopic
TOPICS: tuple[Topic, ...] = law().topics
# folded regex -> words of the texts (French, plus the English of the amending act)
EXPANSIONS: tuple[tuple[re.Pattern[str], str], ...] = law().expansions
# Kinds of question (a date, a fine, a definition, the amendment), not subjects of the Act.
GENERIC_TOPICS = {t.name for t in TOPICS if t.generic}


def topics(question: str) -> list[Topic]:
    q = fold(question)
    return [t for t in TOPICS if t.pattern.search(q)]


def expand(question: str) -> str:
    """The question plus the texts' own words for the everyday terms it uses."""
    q = fold(question)
    extra = [words for pattern, words in EXPANSIONS if pattern.search(q)]
    return question if not extra else question + " " + " ".join(extra)
