"""Evidence and citations, checked by code: quote windows, fine refs, sentence support."""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.base.tuning import SUPPORT_MIN
from assistant.base.units import Chunk
from assistant.search.lexical import tokenize

_SENT = re.compile(r"[^.;:!?\n]+(?:[.;:!?]+|(?=\n)|$)")  # a line without final punctuation is a sentence too
_NUMBER = re.compile(r"\d[\d  ., ]*\d|\d")
# Words too common in this corpus to show that a passage is about the question.
GENERIC = set(
    tokenize(
        "ia intelligence artificielle système systèmes règlement départemental département agent agents "
        "peut peuvent doit doivent quel quelle quels quelles est-il sont-ils cas utiliser utilisation "
        "usage article articles texte textes selon prévoit prévu dispositions ai act charte"
    )
)


QUOTE_GAP = " […] "  # joins two verbatim pieces of one quote that are not adjacent in the passage


def is_verbatim(quote: str, passage: str) -> bool:
    """Every piece of the quote (pieces joined by « […] ») is an exact substring of the passage, in order."""
    at = 0
    for piece in quote.split(QUOTE_GAP):
        found = passage.find(piece, at)
        if not piece or found < 0:
            return False
        at = found + len(piece)
    return True


def terms(text: str) -> set[str]:
    return {t for t in tokenize(text) if t not in GENERIC}


def sentence_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _SENT.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans


def best_window(text: str, question_terms: set[str], max_chars: int = 450) -> tuple[int, int]:
    """The contiguous run of sentences of `text` sharing most terms with the question."""
    spans = sentence_spans(text) or [(0, len(text))]
    best, best_score = (spans[0][0], min(spans[0][1], spans[0][0] + max_chars)), -1.0
    for i in range(len(spans)):
        for j in range(i, len(spans)):
            start, end = spans[i][0], spans[j][1]
            if end - start > max_chars and j > i:
                break
            window_terms = terms(text[start:end])
            score = len(window_terms & question_terms) - 0.001 * (end - start) / max_chars
            if score > best_score:
                best, best_score = (start, end), score
    start, end = best
    if end - start > max_chars:  # one very long sentence: cut at a word boundary
        cut = text.rfind(" ", start, start + max_chars)
        end = cut if cut > start else start + max_chars
    return start, end


def refine(chunk: Chunk, start: int, end: int) -> tuple[str, str, int | None]:
    """(ref, label, page) of the finest structural unit that holds the whole quote."""
    inside = [s for s in chunk.spans if s.start <= start and end <= s.end]
    if inside:
        s = max(inside, key=lambda s: s.ref.count("-"))
        if s.ref.startswith(chunk.ref):  # never climb to a parent lead-in
            return s.ref, s.label, s.page if s.page is not None else chunk.page
    # Quote runs over a lead-in and a point: cite the point (where most of it lies).
    overlap = sorted(chunk.spans, key=lambda s: -(min(end, s.end) - max(start, s.start)))
    if overlap and overlap[0].ref.startswith(chunk.ref):
        s = overlap[0]
        if s.start <= start or s.ref == chunk.ref:
            return chunk.ref, chunk.label, chunk.page
    return chunk.ref, chunk.label, chunk.page


def numbers(text: str) -> set[str]:
    return {re.sub(r"[\s  .,]", "", n) for n in _NUMBER.findall(text)}


def support(sentence: str, passages: Iterable[str]) -> float:
    """Share of the sentence's content words found in the passages (0 when a figure is not)."""
    passages = list(passages)
    joined = "\n".join(passages)
    if not numbers(sentence) <= numbers(joined):
        return 0.0  # a figure the passages do not contain: never shown
    words = terms(sentence)
    if not words:
        return 1.0
    return len(words & terms(joined)) / len(words)


# The one support check: model sentences of answers and assessment summaries, quiz options,
# and the evaluation's citation precision all pass through it.
def is_supported(sentence: str, passages: Iterable[str]) -> bool:
    """Every figure of the sentence and at least SUPPORT_MIN of its content words are in the passages."""
    return support(sentence, passages) >= SUPPORT_MIN
