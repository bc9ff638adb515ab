"""Quiz generation: items built by code from indexed passages, phrased by the model, checked by code.

    topic → its passages (fixed provisions and charter sections, `SOURCES`) → candidates:
      category  a use described by an AI Act provision → its category (art. 5 / annex III / art. 50)
      cloze     a decisive figure, date or actor of a passage blanked; distractors of the same
                kind taken from other passages (or nearby figures) and absent from the quote
      source    a charter commitment → its défi; an obligation → its article
    → model (optional): a French question stem and a one-sentence explanation, JSON schema;
      kept only if they pass checks (no answer given away, words and figures in the
      passage), else the code templates → `quiz.validate` → items + a report.

The model never chooses the correct option or a distractor: it cannot invent a fact that
reaches an item.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from assistant.answer.cite import numbers, refine, sentence_spans, terms
from assistant.answer.compose import collect
from assistant.answer.prompts import canary, load_prompt
from assistant.assess.fiche import short_label
from assistant.backends import Generator
from assistant.base.errors import BackendError
from assistant.base.tuning import (
    CLOZE_LINE_MIN_WORDS,
    CLOZE_MIN_CHARS,
    QUIZ_CONTEXT_CHARS,
    QUIZ_EXPLANATION_MAX_CHARS,
    QUIZ_EXPLANATION_MIN_CHARS,
    QUIZ_MAX_TOKENS,
    QUIZ_PHRASE_WORDS,
    QUIZ_STEM_MAX_CHARS,
    QUIZ_STEM_MIN_CHARS,
    QUIZ_STEM_SUPPORT_MIN,
    SOURCE_SENTENCE_MAX_WORDS,
    SOURCE_SENTENCE_MIN_WORDS,
)
from assistant.base.units import Chunk
from assistant.law import AI_ACT as A
from assistant.law import CHARTER as CH
from assistant.law import data_error, law
from assistant.text.citations import official_url
from assistant.text.dates import EN_DATE, FR_DATE, french_dates
from assistant.text.norm import clean_ws, fold
from assistant.training.quiz import TOPIC_BY_SLUG, Item, dedupe, digits, item_key, supported, validate

# The passages each topic draws on: law data (the training topic index, assistant/law/training.toml).
SOURCES: dict[str, tuple[tuple[str, str], ...]] = {slug: t.draws_on for slug, t in law().training.items()}
for _slug in sorted(set(TOPIC_BY_SLUG) ^ set(SOURCES)):  # the quiz's topics and the index name the same themes
    raise data_error("assistant/law/training.toml", _slug, "slug", "thème absent de l'index ou de la liste du quiz")
CATEGORIES = {
    "prohibited": "Pratique interdite (article 5)",
    "high-risk": "Système à haut risque (annexe III)",
    "limited": "Obligation de transparence (article 50)",
    "minimal": "Risque minimal, sans obligation particulière",
}
_CATEGORY_OF = (
    (re.compile(r"^art-5-1-[a-h]$"), "prohibited"),
    (re.compile(r"^annex-iii-[2-8]-[a-z]$"), "high-risk"),  # point 1 (biometrics) overlaps article 5
    (re.compile(r"^art-50-[124]$"), "limited"),  # 50(3) emotions is also art. 5 / annex III
)
ACTORS = ("fournisseurs", "déployeurs", "importateurs", "distributeurs", "mandataires")
_ACTOR = re.compile(r"\b(?:Les|les|le|Le) (fournisseurs?|déployeurs?|importateurs?|distributeurs?|mandataires?)\b")
_FIGURE = re.compile(
    r"\d{1,3}(?:[  ]\d{3})+ EUR|\d+(?:,\d+)? ?%"
    r"|\b(?:\d+|deux|trois|six|dix|douze|quinze|vingt|trente) (?:mois|jours|ans)\b"
)
_KEYWORD = re.compile(r"\b[a-zà-ÿ]{5,}(?:tion|ité|isme|ence|ance)s?\b")  # nouns, whose distractors stay nouns
_URL = re.compile(r"(?:https?://|www\.)\S+")


def _without_urls(text: str) -> str:
    """The text with its web addresses blanked out (same length: offsets still hold). Words of a URL
    ("office-et-delegations") are no French words: neither a blank nor a distractor."""
    return _URL.sub(lambda m: " " * len(m.group(0)), text)


_BOILERPLATE = re.compile(
    r"^(?:[a-z]{1,2}\)\s*)?(?:la mise sur le marché, la mise en service(?: à cette fin spécifique)? ou l[’']utilisation "
    r"(?:de systèmes d[’']IA|d[’']un système d[’']IA)\s*|(?:les )?systèmes d[’']IA destinés à être utilisés\s*)",
    re.IGNORECASE,
)
_SYSTEM = re.compile(r"systèmes? d[’']IA(?:,[^,]{0,80},)? ((?:destinés|qui)\b[^;:.]+)")
SCHEMA = {
    "type": "object",
    "properties": {"question": {"type": "string"}, "explication": {"type": "string"}},  # no maxLength (slow grammar)
    "required": ["question", "explication"],
}
# Words a question or an explanation may use beyond those of the passage.
_FRAME = terms(
    "quel quelle quels quelles lequel laquelle qui quand combien selon dans quelle catégorie relève classe "
    "classé range rangé vise visé prévoit prévue délai date durée montant maximal minimal pourcentage partir "
    "compter s'applique applicable appliquent engagement défi charte départementale article extrait passage "
    "complétez manque mot acteur responsable obligation concerne correspond figure réponse bonne car parce "
    "puisque indique précise dispose énonce établit fixe texte cité ainsi donc envisage souhaite projet service "
    "utiliser usage agent agents collectivité"
)


@dataclass
class Candidate:
    item: Item
    chunk: Chunk
    hint: str  # what the blank / the answer is, for the model prompt


@dataclass
class Report:
    candidates: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    model_calls: int = 0
    model_kept: int = 0
    model_stopped: bool = False  # the time limit stopped the model calls
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)
    per_topic: dict[str, int] = field(default_factory=dict)
    rejected_items: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["rejected_share"] = round(self.rejected / self.candidates, 3) if self.candidates else 0.0
        d["rejected_items"] = self.rejected_items[:50]
        return d


# ---------------------------------------------------------------------------- passages


def _matches(ref: str, prefix: str) -> bool:
    return ref == prefix or ref.startswith(prefix + "-")


def topic_chunks(chunks: Iterable[Chunk], topic: str) -> list[Chunk]:
    """The passages a topic draws on, in document order (recitals and English-only texts excepted
    where a French one exists)."""
    spec = SOURCES[topic]
    return [c for c in chunks if c.kind != "recital" and any(c.doc_id == d and _matches(c.ref, p) for d, p in spec)]


def _own(chunk: Chunk) -> tuple[int, int]:
    """The chunk's own words (a point without its repeated lead-in)."""
    own = next((s for s in chunk.spans if s.ref == chunk.ref), None)
    return (own.start, own.end) if own else (0, len(chunk.text))


def _window(text: str, start: int, end: int, limit: int = QUIZ_CONTEXT_CHARS) -> tuple[int, int]:
    """The sentence holding text[start:end], cut at word boundaries to at most `limit` characters."""
    s, e = next(((a, b) for a, b in sentence_spans(text) if a <= start and end <= b), (start, end))
    if e - s > limit:
        half = (limit - (end - start)) // 2
        s2, e2 = max(s, start - half), min(e, end + half)
        if s2 > s:
            sp = text.find(" ", s2, start)
            s2 = sp + 1 if sp >= 0 else start
        if e2 < e:
            sp = text.rfind(" ", end, e2)
            e2 = sp if sp >= 0 else end
        s, e = s2, e2
    return s, e


def _dotted(text: str, s: int, e: int, whole: str) -> str:
    head = "… " if s > 0 and whole[s - 1] not in "\n" and not whole[s].isupper() else ""
    tail = " …" if e < len(whole) and whole[e - 1] not in ".;:!?" else ""
    return f"{head}{text}{tail}"


class Builder:
    """Candidate items from an index's chunks (deterministic for a seed)."""

    def __init__(self, chunks: Sequence[Chunk], *, urls: dict[str, str] | None = None, corpus_version: str = ""):
        self.chunks = list(chunks)
        self.urls = urls or {}
        self.corpus_version = corpus_version
        self._pools: dict[str, list[str]] | None = None
        self.defis = self._defi_titles()

    # ------------------------------------------------------------------ shared

    def citation(self, chunk: Chunk, start: int, end: int) -> dict:
        ref, label, page = refine(chunk, start, end)
        return {
            "doc_id": chunk.doc_id,
            "ref": ref,
            "label": label,
            "page": page,
            "lang": chunk.lang,
            "quote": chunk.text[start:end],
            "url": official_url(self.urls.get(chunk.doc_id), ref),
            "amended_by": list(chunk.amended_by),
        }

    def evidence(self, chunk: Chunk, start: int, end: int, *extra: str) -> str:
        head = " — ".join(x for x in (chunk.label, chunk.title, *extra) if x)
        return f"{head}\n{chunk.text[start:end]}"

    def _item(self, topic: str, level: str, kind: str, chunk: Chunk, span: tuple[int, int], question: str,
              options: list[str], correct: str, explanation: str, context: str = "", extra: Sequence[str] = (),
              seed: int = 0) -> Item:  # fmt: skip
        if chunk.amended_by:
            links = ", ".join(dict.fromkeys(_amending_name(a) for a in chunk.amended_by))
            explanation += f" Attention : disposition modifiée par le {links}."
        rng = random.Random(f"{seed}|{chunk.doc_id}|{chunk.ref}|{correct}")
        opts = list(dict.fromkeys(options))
        rng.shuffle(opts)
        start, end = span
        return Item(
            topic=topic,
            level=level,
            kind=kind,
            question=question,
            options=opts,
            answer=opts.index(correct),
            explanation=explanation,
            citation=self.citation(chunk, start, end),
            evidence=self.evidence(chunk, start, end, *extra),
            context=context,
            corpus_version=self.corpus_version,
        )

    def _defi_titles(self) -> dict[int, str]:
        """« Défi N : title » for the 7 défis (a défi without its own text: its section headings)."""
        titles: dict[int, str] = {}
        heads: dict[int, list[str]] = {}
        for c in self.chunks:
            m = re.fullmatch(r"defi-(\d)(?:-.+)?", c.ref) if c.doc_id == CH else None
            if not m:
                continue
            n = int(m.group(1))
            if c.ref == f"defi-{n}" and c.title:
                titles.setdefault(n, f"Défi {n} : {c.title}")
            elif "—" in c.label:
                heads.setdefault(n, []).append(c.label.split("—", 1)[1].strip())
        for n, hs in heads.items():
            titles.setdefault(n, f"Défi {n} : " + " ; ".join(dict.fromkeys(hs)))
        return dict(sorted(titles.items()))

    # ------------------------------------------------------------------ category

    def category(self, topic: str, chunk: Chunk, seed: int = 0) -> Candidate | None:
        cat = next((k for rx, k in _CATEGORY_OF if chunk.doc_id == A and rx.match(chunk.ref)), None)
        if cat is None:
            return None
        s, e = _own(chunk)
        own = chunk.text[s:e]
        if cat == "limited":
            m = _SYSTEM.search(own)
            if not m:
                return None
            ps = s + m.start(1)
            phrase = m.group(1)
        else:
            m = _BOILERPLATE.match(own)
            ps = s + (m.end() if m else 0)
            phrase = chunk.text[ps:e]
        words = phrase.split()
        cut = " ".join(words[:QUIZ_PHRASE_WORDS]).rstrip(",;:")
        pe = ps + len(cut)
        if chunk.text[ps:pe] != cut or len(words) < 4:
            return None
        shown = _dotted(cut, ps, pe, chunk.text)
        # The quote: from the lead-in (which states the category for art. 5) to the end of the phrase.
        qs = 0 if cat == "prohibited" else ps
        question = "Selon le règlement (UE) 2024/1689, dans quelle catégorie entre un système d'IA décrit ainsi ?"
        explanation = (
            f"{short_label(chunk.label)} ({chunk.title}) : c'est pourquoi la bonne réponse est « {CATEGORIES[cat]} »."
        )
        item = self._item(topic, "débutant", "category", chunk, (qs, max(pe, e if cat == "prohibited" else pe)),
                          question, list(CATEGORIES.values()), CATEGORIES[cat], explanation, context=f"« {shown} »",
                          seed=seed)  # fmt: skip
        return Candidate(item, chunk, f"catégorie : {CATEGORIES[cat]}")

    # ------------------------------------------------------------------ cloze

    def pools(self) -> dict[str, list[str]]:
        """Figures, dates, actors and keywords of the whole corpus, by kind (distractor pools)."""
        if self._pools is None:
            pools: dict[str, list[str]] = {}
            for c in self.chunks:
                for m in _FIGURE.finditer(c.text):
                    pools.setdefault(_figure_kind(m.group(0)), []).append(m.group(0))
                for d in french_dates(c.text):
                    pools.setdefault("date", []).append(_first(d))
                if c.doc_id == CH:
                    for m in _KEYWORD.finditer(_without_urls(c.text)):
                        pools.setdefault("mot:" + _suffix(m.group(0)), []).append(m.group(0))
            self._pools = {k: sorted(set(v)) for k, v in pools.items()}
        return self._pools

    def blanks(self, chunk: Chunk) -> list[tuple[str, int, int, str]]:
        """(kind, start, end, answer as shown) of the blankable words of a passage, best first."""
        s, e = _own(chunk)
        text = chunk.text
        out: list[tuple[str, int, int, str]] = []
        for rx in (FR_DATE, EN_DATE):
            for m in rx.finditer(text, s, e):
                out.append(("date", m.start(), m.end(), _first(french_dates(m.group(0))[0])))
        for m in _FIGURE.finditer(text, s, e):
            out.append((_figure_kind(m.group(0)), m.start(), m.end(), m.group(0)))
        actor = _ACTOR.search(text, s, e)
        if actor and chunk.doc_id != CH:
            out.append(("actor", actor.start(1), actor.end(1), actor.group(1)))
        if chunk.doc_id == CH and not out:
            counts: dict[str, int] = {}
            words = _without_urls(text)
            for k in _KEYWORD.finditer(words, s, e):
                counts[k.group(0).lower()] = counts.get(k.group(0).lower(), 0) + 1
            for k in _KEYWORD.finditer(words, s, e):
                ws, we = _window(text, k.start(), k.end())
                if len(text[ws:we].split()) < CLOZE_LINE_MIN_WORDS:
                    continue  # a short line leaves several words possible: no fair blank
                if counts[k.group(0).lower()] == 1 and k.group(0)[0].islower():
                    out.append(("mot:" + _suffix(k.group(0)), k.start(), k.end(), k.group(0)))
        return out

    def distractors(self, kind: str, answer: str, evidence: str, rng: random.Random, n: int = 3) -> list[str]:
        if kind == "actor":
            plural = answer.endswith("s")
            pool = [a if plural else a[:-1] for a in ACTORS]
        elif kind.startswith("duree:"):
            pool = _durations(answer)
        elif kind == "date":
            pool = [d for d in self.pools().get("date", []) if 2024 <= int(d[-4:]) <= 2032] + _dates_near(answer)
        else:
            pool = list(self.pools().get(kind, []))
        pool = [p for p in pool if fold(p) != fold(answer) and not supported(p, evidence)]
        rng.shuffle(pool)
        return pool[:n]

    def cloze(self, topic: str, chunk: Chunk, seed: int = 0, which: int = 0) -> Candidate | None:
        if chunk.amended_by:
            return None  # its figures and dates may be superseded by the 2026 amendment (LESSONS.md, 5)
        blanks = self.blanks(chunk)
        if not blanks:
            return None
        kind, bs, be, answer = blanks[which % len(blanks)]
        s, e = _window(chunk.text, bs, be)
        if e - s < CLOZE_MIN_CHARS:
            return None
        rng = random.Random(f"{seed}|{chunk.ref}|{bs}")
        evidence = self.evidence(chunk, s, e)
        wrong = self.distractors(kind, answer, evidence, rng)
        if len(wrong) < 2:
            return None
        extract = _dotted(chunk.text[s:bs] + "_____" + chunk.text[be:e], s, e, chunk.text).replace("\n", " / ")
        extract = extract.lstrip("-–• ")
        lang = " (texte anglais, seul disponible)" if chunk.lang != "fr" else ""
        what = {"date": "la date", "actor": "l'acteur", "montant": "le montant", "pourcentage": "le pourcentage"}.get(
            kind.split(":")[0], "le mot" if kind.startswith("mot:") else "la durée"
        )
        question = f"Quel est {what} qui manque dans cet extrait ({source_name(chunk.label)}){lang} ?"
        question = question.replace("Quel est la", "Quelle est la")
        sentence = clean_ws(chunk.text[s:e])
        explanation = f"{source_name(chunk.label)} : « {sentence} »"
        level = "débutant" if kind == "date" and chunk.doc_id == A else "confirmé"
        item = self._item(topic, level, "cloze", chunk, (s, e), question, [answer, *wrong], answer, explanation,
                          context=f"« {extract} »", seed=seed)  # fmt: skip
        return Candidate(item, chunk, f"le passage dit « {answer} » à la place de _____")

    # ------------------------------------------------------------------ source

    def source(self, topic: str, chunk: Chunk, seed: int = 0, which: int = 0) -> Candidate | None:
        rng = random.Random(f"{seed}|{chunk.ref}|{which}")
        s, e = _own(chunk)
        lines = [  # whole sentences, not a lead-in ending with « : » (it names its article's subject)
            (a, b)
            for a, b in sentence_spans(chunk.text[s:e])
            if SOURCE_SENTENCE_MIN_WORDS <= len(chunk.text[s + a : s + b].split()) <= SOURCE_SENTENCE_MAX_WORDS
            and not chunk.text[s + a : s + b].endswith(":")
        ]
        if not lines:
            return None
        a, b = lines[which % len(lines)]
        qs, qe = s + a, s + b
        while qs < qe and chunk.text[qs] in "-–•0123456789.) ":
            qs += 1
        line = chunk.text[qs:qe]
        m = re.fullmatch(r"defi-(\d)(?:-.+)?", chunk.ref) if chunk.doc_id == CH else None
        if m:
            n = int(m.group(1))
            if n not in self.defis:
                return None
            correct = self.defis[n]
            others = [t for k, t in self.defis.items() if k != n]
            extra = [correct]
            question = "À quel défi de la charte IA du Département se rattache cet engagement ?"
            level = "débutant"
        else:
            m = re.match(r"art-(\d+)", chunk.ref)
            if chunk.doc_id != A or not m:
                return None
            correct = f"Article {m.group(1)} : {chunk.title}"
            named = numbers(chunk.text[qs:qe])  # an article the extract names is no fair distractor
            others = sorted(
                {f"Article {n} : {t}" for n, t in self.article_titles().items() if n != m.group(1) and n not in named}
            )
            extra = []
            question = "Quel article du règlement (UE) 2024/1689 prévoit ceci ?"
            level = "confirmé"
        evidence = self.evidence(chunk, qs, qe, *extra)
        wrong = [o for o in others if not supported(o, evidence)]
        rng.shuffle(wrong)
        if len(wrong) < 2:
            return None
        explanation = f"Cet extrait est tiré de : {source_name(chunk.label)}."
        item = self._item(topic, level, "source", chunk, (qs, qe), question, [correct, *wrong[:3]], correct,
                          explanation, context=f"« {clean_ws(line)} »", extra=extra, seed=seed)  # fmt: skip
        return Candidate(item, chunk, f"réponse : {correct}")

    def article_titles(self) -> dict[str, str]:
        """Titles of the AI Act articles that deployers meet most (distractors of « source » items)."""
        want = {"4", "5", "6", "13", "14", "26", "27", "49", "50", "72", "73", "86", "99", "113"}
        out: dict[str, str] = {}
        for c in self.chunks:
            m = re.fullmatch(r"art-(\d+)(?:-.*)?", c.ref) if c.doc_id == A else None
            if m and m.group(1) in want and c.title:
                out.setdefault(m.group(1), c.title)
        return out

    # ------------------------------------------------------------------ all

    def candidates(self, topic: str, seed: int = 0) -> list[Candidate]:
        """Every candidate of a topic, interleaved by kind so that a prefix is varied."""
        by_kind: dict[str, list[Candidate]] = {"category": [], "cloze": [], "source": []}
        for chunk in topic_chunks(self.chunks, topic):
            for make in (self.category, self.cloze, self.source):
                cand = make(topic, chunk, seed)
                if cand is not None:
                    by_kind[cand.item.kind].append(cand)
            n_blanks = len(self.blanks(chunk))
            for which in range(1, min(n_blanks, 3)):
                cand = self.cloze(topic, chunk, seed, which)
                if cand is not None:
                    by_kind["cloze"].append(cand)
        rng = random.Random(f"{seed}|{topic}")
        for v in by_kind.values():
            rng.shuffle(v)
        out: list[Candidate] = []
        while any(by_kind.values()):
            for k in by_kind:
                if by_kind[k]:
                    out.append(by_kind[k].pop())
        return out


def _amending_name(link: str) -> str:
    ref = link.partition(":")[2]
    m = re.match(r"art-(\d+)-(\d+)", ref)
    return "règlement (UE) 2026/1744" + (f", article {m.group(1)}, point {m.group(2)})" if m else "")


def source_name(label: str) -> str:
    """A short French name of a provision or section for questions (« RIA, art. 26, § 6 »)."""
    label = label.replace("Conseil de Provence, « Intelligence artificielle #2 : Miscellanées », ", "Miscellanées IA, ")
    return short_label(label)


def _first(date: str) -> str:
    """French style for the first day of a month: « 1er août 2024 »."""
    return "1er" + date[1:] if date.startswith("1 ") else date


def _dates_near(answer: str) -> list[str]:
    """Plausible wrong dates: the same day a year before or after, and the other key months."""
    day, month, year = answer.split()
    out = [f"{day} {month} {int(year) + d}" for d in (-1, 1)]
    return out + [f"{day} {m} {year}" for m in ("février", "août", "décembre") if m != month]


def _figure_kind(text: str) -> str:
    if "EUR" in text:
        return "montant"
    if "%" in text:
        return "pourcentage"
    return "duree:" + text.split()[-1]


def _suffix(word: str) -> str:
    w = word.lower().rstrip("s")
    suffix = next((x for x in ("tion", "ité", "isme", "ence", "ance") if w.endswith(x)), "")
    return suffix + ("-pl" if word.lower().endswith("s") else "")


_WORDS = {2: "deux", 3: "trois", 6: "six", 10: "dix", 12: "douze", 15: "quinze", 18: "dix-huit", 20: "vingt",
          24: "vingt-quatre", 30: "trente", 60: "soixante", 90: "quatre-vingt-dix"}  # fmt: skip


def _durations(answer: str) -> list[str]:
    """Other durations in the same unit, spelt like the answer (« six mois » → « trois mois »…)."""
    number, unit = answer.rsplit(" ", 1)
    spelt = not number.isdigit()
    values = {"mois": (1, 3, 6, 12, 18, 24), "jours": (10, 15, 30, 60, 90), "ans": (2, 3, 5, 10, 20)}.get(unit, ())
    out = []
    for v in values:
        if spelt and v not in _WORDS:
            continue
        n = _WORDS[v] if spelt else str(v)
        out.append(f"{n} {'mois' if unit == 'mois' and v == 1 else unit}" if v != 1 else f"un {unit}")
    return out


# ---------------------------------------------------------------------------- model phrasing


def _clean_model_text(text: object) -> str:
    return clean_ws(text) if isinstance(text, str) else ""


_CATEGORY_OF_WORDS = {
    "prohibited": r"interdi",
    "high-risk": r"haut risque|haut-risque|annexe iii",
    "limited": r"transparen|article 50",
    "minimal": r"risque minimal",
}
_CATEGORY_WORDS = re.compile(r"interdi|haut risque|haut-risque|transparen|minimal|annexe|article 5|article 50")


def check_question(question: str, item: Item) -> bool:
    """A model-phrased stem: a French question about the passage that does not give any option away."""
    q = question.strip()
    if not (QUIZ_STEM_MIN_CHARS <= len(q) <= QUIZ_STEM_MAX_CHARS) or not q.endswith("?") or canary() in q:
        return False
    shown = digits(q)
    if any(digits(o).strip(" .") in shown for o in item.options):
        return False
    if item.kind == "category" and _CATEGORY_WORDS.search(shown):
        return False  # the category is the answer: the stem must not name one
    if item.kind == "source" and numbers(q):
        return False  # nor the article or défi number
    if not numbers(q) <= numbers(item.evidence):
        return False
    words = terms(q) - _FRAME
    return not words or len(words & terms(item.evidence)) / len(words) >= QUIZ_STEM_SUPPORT_MIN


def check_explanation(text: str, item: Item) -> bool:
    """A model-phrased explanation: states the correct option, no distractor, supported by the passage."""
    t = text.strip()
    if not (QUIZ_EXPLANATION_MIN_CHARS <= len(t) <= QUIZ_EXPLANATION_MAX_CHARS) or canary() in t or t.endswith("?"):
        return False
    if not supported(t, item.evidence + "\n" + item.correct + "\n" + " ".join(sorted(_FRAME))):
        return False
    shown = digits(t)
    if item.kind == "cloze" and digits(item.correct) not in shown:
        return False
    if item.kind == "category":
        wrong = [k for k, v in CATEGORIES.items() if v != item.correct]
        if any(re.search(_CATEGORY_OF_WORDS[k], shown) for k in wrong):
            return False  # names another category than the answer
    return not any(digits(o).strip(" .") in shown for i, o in enumerate(item.options) if i != item.answer)


def phrase(gen: Generator, cand: Candidate) -> tuple[str | None, str | None]:
    """The model's question and explanation for a candidate (None where it failed the checks)."""
    item = cand.item
    system = load_prompt("quiz.system").render(canary=canary())
    user = load_prompt("quiz.user").render(
        kind={"category": "catégorie d'un usage", "cloze": "texte à trous", "source": "origine d'un extrait"}[
            item.kind
        ],
        label=source_name(item.citation["label"]),
        passage=clean_ws(item.citation["quote"])[:QUIZ_CONTEXT_CHARS],
        context=item.context,
        answer=item.correct,
        hint=cand.hint,
    )
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    raw, _ = collect(gen, messages, QUIZ_MAX_TOKENS, SCHEMA, None)
    try:
        text = "".join(raw)
        data = json.loads(text[text.index("{") : text.rindex("}") + 1])
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    q, x = _clean_model_text(data.get("question")), _clean_model_text(data.get("explication"))
    return (q if check_question(q, item) else None), (x if check_explanation(x, item) else None)


# ---------------------------------------------------------------------------- generation


def generate(
    builder: Builder,
    topics: Sequence[str],
    per_topic: int,
    *,
    generator: Callable[[], Generator] | None = None,
    seen: set[str] | None = None,
    seed: int = 0,
    progress: Callable[[str], None] = lambda _m: None,
    max_candidates: int | None = None,
    deadline: float | None = None,
    on_item: Callable[[Item], None] | None = None,
) -> tuple[list[Item], Report]:
    """Up to `per_topic` new valid items per topic (not in `seen`), with the report of what was rejected.

    Topics take turns. After `deadline` (a `time.monotonic()` value) the model is no longer
    called: the remaining items keep the wording of the code templates, so a slow machine
    bounds the time spent on the model without losing items. `on_item` receives each valid item
    as soon as it is accepted (the bank command stores it at once: a killed run keeps its items)."""
    t0 = time.perf_counter()
    report = Report()
    seen = set() if seen is None else seen
    out: list[Item] = []
    state = {"gen": None, "generator": generator}
    queues = {t: iter(builder.candidates(t, seed)) for t in topics if t in TOPIC_BY_SLUG}
    got = dict.fromkeys(queues, 0)
    tried = dict.fromkeys(queues, 0)
    while queues:
        if deadline is not None and state["generator"] is not None and time.monotonic() > deadline:
            progress("Temps imparti au modèle écoulé : les items suivants gardent la formulation du gabarit.")
            state["generator"] = None
            report.model_stopped = True
        for topic in list(queues):
            cand = _next_fresh(queues[topic], seen, report)
            if (
                cand is None
                or got[topic] >= per_topic
                or (max_candidates is not None and tried[topic] >= max_candidates)
            ):
                del queues[topic]
                continue
            tried[topic] += 1
            item = _phrase_and_check(cand, state, report, progress)
            if item is None:
                continue
            dedupe([item], seen)
            out.append(item)
            got[topic] += 1
            report.accepted += 1
            report.per_topic[topic] = report.per_topic.get(topic, 0) + 1
            if on_item is not None:
                on_item(item)
            progress(f"[{topic}] {got[topic]}/{per_topic} {item.kind} {item.citation['ref']} ({item.phrased_by})")
    report.seconds = round(time.perf_counter() - t0, 1)
    return out, report


def _next_fresh(queue: Iterator[Candidate], seen: set[str], report: Report) -> Candidate | None:
    for cand in queue:
        if item_key(cand.item) in seen:
            report.duplicates += 1
            continue
        return cand
    return None


def _phrase_and_check(cand: Candidate, state: dict, report: Report, progress: Callable[[str], None]) -> Item | None:
    """The candidate phrased by the model when it can be, then validated; None when rejected."""
    report.candidates += 1
    item = cand.item
    if state["generator"] is not None:
        try:
            state["gen"] = state["gen"] or state["generator"]()
            report.model_calls += 1
            q, x = phrase(state["gen"], cand)
        except BackendError as exc:
            progress(f"Modèle indisponible ({exc}) : questions et explications du gabarit.")
            state["generator"], q, x = None, None, None
        if q or x:
            report.model_kept += 1
            item.phrased_by = getattr(state["gen"], "name", "modèle")
            if q:
                item.extra["template_question"] = item.question
                item.question = q
            if x:
                item.explanation = x
    reasons = validate(item, cand.chunk.text)
    if not reasons:
        return item
    report.rejected += 1
    for r in reasons:
        key = r.split(" « ")[0]
        report.reasons[key] = report.reasons.get(key, 0) + 1
    report.rejected_items.append({"topic": item.topic, "ref": item.citation.get("ref"), "reasons": reasons,
                                  "question": item.question, "options": item.options})  # fmt: skip
    return None
