"""Judge of a cued prohibited practice by the model's first-token scores (issue 14).

Asked to write « oui » or « non » with a passage, the 1.5B model answers « non » to descriptions that
plainly state a prohibited practice (a fake threat of suspension to make people drop an appeal, credit
pushed on households in arrears at their weakest moment): its greedy choice is biased toward « non ».
Its ranking is not: the difference between the scores of « oui » and « non » as the first token of its
reply, to one plain yes/no question per practice (law data: `judge` of the practice's fact in
law/facts.toml, the elements of art. 5(1) in plain words), separates the descriptions that state the
practice from the others far better than its greedy answer does. The threshold on that difference is
calibrated per practice on the development sets (`tuning.JUDGE_MARGIN`, `bench/calibrate_judge.py`)
and holds for the model it was calibrated on only (`tuning.JUDGE_MODEL`).

Only a practice that a cue evokes (keyword or meaning) is judged, and a judged « oui » carries its
supporting passage: the sentence of the description that the cue points to. The question follows the
facts request's own prefix (system prompt, then the description), so the backend's KV cache holds
all but the question: one question costs about a second on 2 cores.

    messages(system, section, text, question)  the prompt of one question
    margin(scores)                             score(« oui ») − score(« non »), None without both
    supporting_sentence(text, cue)             the sentence of `text` that holds the cue
    near(practices, judged)                    the practices close enough in meaning to judge without a cue
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from assistant.assess.senses import sentences
from assistant.backends import Message
from assistant.base.tuning import JUDGE_NEAR
from assistant.text.norm import fold

YES_WORDS = ("oui", "Oui")
NO_WORDS = ("non", "Non")
WORDS = YES_WORDS + NO_WORDS
QUESTION_LEAD = "Question ciblée (article 5) : "
ANSWER_HINT = " Réponds par oui ou par non."


@dataclass(frozen=True)
class Verdict:
    practice: str
    margin: float  # score(« oui ») − score(« non »): log-odds of « oui »
    threshold: float
    passage: str  # the sentence of the description the cue points to
    cued: bool = True  # False: close in meaning only, no cue: « oui » keeps it open, never establishes it

    @property
    def yes(self) -> bool:
        return self.margin >= self.threshold


def messages(system: str, section: str, text: str, question: str) -> list[Message]:
    """The facts request's prefix (its system prompt; its user message up to the end of the
    quoted description), then the question: the same tokens up to the description, for the cache."""
    head, sep, tail = section.partition("{description}")
    if not sep:
        head, tail = section + "\n« ", " »"
    close = tail.split("\n", 1)[0]
    user = f"{head}{text}{close}\n{QUESTION_LEAD}{question}{ANSWER_HINT}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def margin(scores: Mapping[str, float]) -> float | None:
    """The best « oui » score minus the best « non » score; None when either is missing."""
    yes = [scores[w] for w in YES_WORDS if w in scores]
    no = [scores[w] for w in NO_WORDS if w in scores]
    if not yes or not no:
        return None
    return max(yes) - max(no)


def near(practices: Mapping[str, tuple[float, str]], judged: Collection[str]) -> list[str]:
    """The practices of `judged` whose closest sentence in meaning reaches `tuning.JUDGE_NEAR`: judged
    even without a cue; a margin at or above `tuning.JUDGE_OPEN_MARGIN` keeps them open, never more."""
    return [n for n, (score, _) in practices.items() if n in judged and score >= JUDGE_NEAR]


def supporting_sentence(text: str, cue: str) -> str:
    """The sentence of `text` that holds the cue: its words (a keyword cue) or, folded, its start (a
    sentence matched by meaning, as `senses` records it, cut the same way). Else the sentence sharing
    most of the cue's words."""
    parts = sentences(text, limit=len(text))
    if not parts:
        return text.strip()
    c = fold(cue).strip()
    for p in parts:
        f = fold(p)
        if c and (c in f or f.startswith(c[:80]) or c.startswith(f[:80])):
            return p
    words = set(re.findall(r"\w{4,}", c))
    best = max(parts, key=lambda p: len(words & set(re.findall(r"\w{4,}", fold(p)))))
    return best


__all__ = ["Verdict", "margin", "messages", "near", "supporting_sentence"]
