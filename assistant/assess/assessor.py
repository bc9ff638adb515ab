"""Assessment of a planned use of AI: « Mon projet d'usage de l'IA est-il autorisé ? »

    description (+ optional fields) → facts: French keywords (riskmap.keyword_facts) merged
    with the model's structured reading (JSON schema, validated, one retry, keyword-only
    fallback) → risk level decided by code from the map (riskmap.decide) → grounds,
    deployer obligations and charter challenges quoted verbatim from the indexed provisions
    → optional 2–3 sentence summary phrased by the model, each sentence kept only if a cited
    passage supports it → the `ask` contract plus risk_level, obligations, charter,
    to_clarify, human_decision (PRODUCT.md).

The model never decides the level, the provisions or the dates: it only reads facts and
phrases a summary. Every statement of the answer carries an exact quote of an indexed
passage, cited with the same citation objects as `ask`.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from assistant.answer.cite import best_window, is_supported, sentence_spans, support, terms
from assistant.answer.compose import SCHEMA as PHRASE_SCHEMA
from assistant.answer.compose import Evidence, collect, model_info, parse_reply, renumber
from assistant.answer.precedence import attributions
from assistant.answer.prompts import canary, load_prompt
from assistant.answer.result import Assessment, ListItem
from assistant.answer.verdict import category
from assistant.assess import judge, levels, recommendations
from assistant.assess import riskmap as rm
from assistant.assess.senses import Reading, Senses
from assistant.backends import Generator
from assistant.base.errors import AssistantError, BackendError, InputError
from assistant.base.tuning import (
    FACT_TOKENS,
    GROUND_CHARS,
    ITEM_CHARS,
    JUDGE_MARGIN,
    JUDGE_MODEL,
    JUDGE_OPEN_MARGIN,
    MAX_CHARTER,
    MAX_PASSAGES,
    MAX_QUESTIONS,
    NEIGHBOURS,
    SUMMARY_TOKENS,
    TARGETED_TOKENS,
)
from assistant.base.units import Chunk
from assistant.law import law
from assistant.ops.energy import EnergyMeter
from assistant.search.index import PassageIndex
from assistant.search.retrieve import SearchResult
from assistant.text.citations import MARKER
from assistant.text.norm import fold

MAX_DESCRIPTION_CHARS = 2000
_LAW = law()
_SPECIAL = _LAW.special
MODEL_FIELDS = [name for name, f in rm.FACTS.items() if f.model] + list(rm.MODEL_ENUMS)
OPTIONAL_FIELDS = (
    ("purpose", "Finalité"),
    ("data", "Données utilisées"),
    ("people", "Personnes concernées"),
    ("automation", "Degré d'automatisation des décisions"),
    ("service", "Service ou domaine"),
)
LEVEL_SENTENCE = levels.SENTENCE
HUMAN_DECISION = (
    "Cette évaluation est une aide produite automatiquement : elle ne vaut ni autorisation ni refus. La décision "
    "appartient au référent IA et au délégué à la protection des données (DPO) du Département, avec le service porteur "
    "du projet."
)
HUMAN_DECISION_LEGAL = " Vu le niveau de risque, consultez aussi le service juridique avant tout engagement."
HUMAN_DECISION_CLARIFY = " Répondez d'abord aux points à clarifier, puis soumettez le projet au référent IA et au DPO."
NOT_ABOUT_AI = (
    "La description ne présente pas d'usage d'un outil ou d'un système d'IA à évaluer. Décrivez le projet : ce que fera "
    "l'outil, pour quel service, sur quelles données et pour quelles personnes."
)
_LEVEL_WORDS = {
    "prohibited": r"\binterdit\w*|prohib\w*",
    "high-risk": r"haut risque|haut-risque|risque eleve",
    "limited": r"transparence|risque limite",
    "minimal": r"risque minim\w*",
    "out-of-scope": r"hors (du )?champ|ne s'applique pas",
}
_DESIGNATION = re.compile(
    r"\b(?:r[èe]glement|regulation)\s*\((?:ue|eu)\)\s*\d{4}/\d+"
    r"|\b(?:articles?|paragraphes?|points?|annexes?|considérants?|alinéas?|défis?)\s+(?:premier|\d+[a-z]{0,2}\)?|[a-z]{1,2}\)|[ivx]+\b)"
    r"(?:\s*,?\s*(?:point|paragraphe)?\s*\d*\s*[a-z]{0,2}\))?",
    re.IGNORECASE,
)
_ALLOWED = re.compile(r"\b(autorise\w*|permis\w*|licite|legal\w*)\b")


def compose_description(description: str, **fields: str | None) -> str:
    """The description with the optional fields of the form (purpose, data, people, automation, service)."""
    parts = [description.strip()]
    for key, label in OPTIONAL_FIELDS:
        value = (fields.get(key) or "").strip()
        if value:
            parts.append(f"{label} : {value}")
    return "\n".join(p for p in parts if p)


def open_fields(kw: rm.KeywordFacts | None) -> list[str]:
    """The model fields still worth asking: a strong keyword finding wins over the model in
    `merge_facts`, so asking for it only costs generated tokens (~10 per field on 2 cores)."""
    if kw is None:
        return list(MODEL_FIELDS)
    strong = {name for name, f in kw.values.items() if f.strength == rm.HIGH and name not in kw.conflicts}
    out = []
    for name in MODEL_FIELDS:
        if name in rm.MODEL_ENUMS:
            kinds = rm.PROHIBITED_KINDS if name == "pratique_interdite" else rm.EXCLUSION_KINDS
            if any(k in strong and kw.values[k].value == rm.YES for k in kinds):
                continue
        elif name in strong:
            continue
        out.append(name)
    return out


def fact_schema(fields: list[str] | None = None, targeted: Mapping[str, list[str]] | None = None) -> dict:
    """JSON schema of the model's facts: enums only, no maxLength (llama.cpp grammar stays fast).

    `targeted`: cued practice → the passages of the description the model may quote; each adds a
    yes/no field (`art5_<fact>`) and the field of its supporting passage (`passage_<fact>`), an enum
    of those passages (so the passage is a substring of the description by construction) or « aucun »."""
    props: dict[str, dict] = {}
    for name in MODEL_FIELDS if fields is None else fields:
        values = rm.MODEL_ENUMS[name] if name in rm.MODEL_ENUMS else rm.FACTS[name].values
        props[name] = {"type": "string", "enum": list(values)}
    for name, passages in (targeted or {}).items():
        props[TARGETED + name] = {"type": "string", "enum": list(rm.TRI)}
        props[PASSAGE + name] = {"type": "string", "enum": [*passages, NO_PASSAGE]}
    return {"type": "object", "properties": props, "required": list(props)}


TARGETED, PASSAGE, NO_PASSAGE = "art5_", "passage_", "aucun"
_CLAUSE = re.compile(r"[^.;:!?\n,()«»\"]+")


def passages(text: str, limit: int = MAX_PASSAGES) -> list[str]:
    """The clauses of a description the model may quote as the support of a targeted « oui »: exact
    substrings, without the characters that would end a JSON string."""
    out: list[str] = []
    for m in _CLAUSE.finditer(text):
        clause = m.group(0).strip()
        if len(clause) >= 12 and clause not in out and "\\" not in clause:
            out.append(clause[:240])
        if len(out) == limit:
            break
    return out


def targeted_prompt(targeted: Mapping[str, list[str]]) -> str:
    """The targeted questions appended to the facts request: one per cued practice."""
    lines = [
        "Questions ciblées (article 5) : pour chaque champ art5_…, réponds « oui » seulement si la description "
        "l'énonce, et mets dans le champ passage_… le passage de la description qui le montre (sinon « aucun »)."
    ]
    lines += [f"— {TARGETED}{name} : {rm.FACTS[name].question}" for name in targeted]
    return "\n".join(lines)


def parse_targeted(
    raw: str, targeted: Mapping[str, list[str]], text: str, cued: Mapping[str, str] | None = None
) -> dict[str, tuple[str, str]]:
    """The model's targeted answers: practice → (oui | non | inconnu, supporting passage or "").
    A « oui » whose passage is not a substring of the description, or (`cued`: practice → the words
    of its cue) does not hold a word of the cue, stays « inconnu »."""
    try:
        data = json.loads(raw[raw.index("{") : raw.rindex("}") + 1])
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, tuple[str, str]] = {}
    for name in targeted:
        value = data.get(TARGETED + name)
        span = data.get(PASSAGE + name)
        span = span.strip() if isinstance(span, str) and span != NO_PASSAGE else ""
        if value not in rm.TRI:
            value = rm.UNKNOWN
        words = {w for w in re.findall(r"\w{4,}", (cued or {}).get(name, ""))}
        cue_in_span = not words or bool(words & set(re.findall(r"\w{4,}", fold(span))))
        if value == rm.YES and (not span or span not in text or not cue_in_span):
            out[name] = (rm.UNKNOWN, "")
        else:
            out[name] = (str(value), span if value == rm.YES else "")
    return out


def apply_targeted(
    facts: dict[str, object],
    sources: dict[str, str],
    contradictions: list[str],
    answers: Mapping[str, tuple[str, str]],
    sensed_only: Collection[str] = (),
) -> None:
    """A targeted « oui » with its passage establishes the practice; a « non » is noted but is not
    evidence (the practice stays open: `riskmap.open_practices`). `sensed_only`: practices evoked by
    the meaning of a sentence, no word of a cue (assess/senses.py): there the model's « oui » keeps
    the practice open with its passage, it does not establish it: on the development sets such a
    « oui » was wrong 12 times out of 12 against the labels the articles support (biometric uses read
    as face scraping, fraud scores as predictions of offences: eval/reports/2026-12-03-assess-senses.md)."""
    for name, (value, span) in answers.items():
        if value == rm.YES and name in sensed_only:
            sources[name] = (
                f"modèle, question ciblée (« oui », passage : « {span} »), à confirmer : pratique évoquée par le "
                "sens de la description, non par ses mots"
            )
        elif value == rm.YES:
            facts[name] = rm.YES
            sources[name] = f"modèle, question ciblée (passage : « {span} »)"
            if name in contradictions:
                contradictions.remove(name)
        elif value == rm.NO and facts.get(name) != rm.YES:
            sources[name] = "modèle, question ciblée (« non »), à confirmer"


def apply_judged(
    facts: dict[str, object],
    sources: dict[str, str],
    contradictions: list[str],
    verdicts: Mapping[str, judge.Verdict],
) -> None:
    """A judged « oui » (margin at or above the practice's calibrated threshold) establishes the
    practice with its passage; a judged « non » is noted but is not evidence: a cued practice stays
    open (`riskmap.open_practices`), so the level cannot be low. A practice judged without a cue
    (close in meaning only) is never established: kept open (`kept_open`) or set aside, as noted."""
    for name, v in verdicts.items():
        if not v.cued:  # close in meaning only: kept open (`kept_open`) or set aside, never established
            if facts.get(name) != rm.YES and not sources.get(name, "").startswith(("mots-clés", "fourni", "sens")):
                said = (
                    f"non écartée par le modèle (écart {v.margin:+.2f} ≥ seuil {v.threshold:+.2f})"
                    if v.yes
                    else f"écartée par le modèle (écart {v.margin:+.2f} < seuil {v.threshold:+.2f})"
                )
                sources[name] = f"phrase proche par le sens, sans indice (« {v.passage} ») : {said}"
        elif v.yes:
            facts[name] = rm.YES
            sources[name] = (
                f"modèle, jugement ciblé « oui » (écart {v.margin:+.2f} ≥ seuil {v.threshold:+.2f}), "
                f"passage : « {v.passage} »"
            )
            if name in contradictions:
                contradictions.remove(name)
        elif facts.get(name) != rm.YES:
            sources[name] = (
                f"modèle, jugement ciblé « non » (écart {v.margin:+.2f} < seuil {v.threshold:+.2f}), à confirmer"
            )


def kept_open(verdicts: Mapping[str, judge.Verdict], facts: Mapping[str, object]) -> dict[str, str]:
    """The practices close in meaning, without a cue, that the judge did not set aside: open like a
    cued practice (`riskmap.open_practices`: no « minimal », no « limité »), with their sentence."""
    return {n: fold(v.passage) for n, v in verdicts.items() if not v.cued and v.yes and facts.get(n) != rm.YES}


def _open_to_judge(name: str, kw: rm.KeywordFacts, given: Mapping[str, object]) -> bool:
    """Not cued, not given, not answered by the description's words: worth a judgement."""
    f = kw.values.get(name)
    return name not in kw.cued and name not in given and not (f and f.strength == rm.HIGH)


def parse_facts(raw: str, fields: list[str] | None = None) -> dict[str, str] | None:
    """Validate the model's facts (the fields asked, all by default); None for junk (not JSON,
    mostly invalid values, degenerate)."""
    fields = list(MODEL_FIELDS) if fields is None else fields
    try:
        data = json.loads(raw[raw.index("{") : raw.rindex("}") + 1])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    out: dict[str, str] = {}
    valid = 0
    for name in fields:
        allowed = rm.MODEL_ENUMS[name] if name in rm.MODEL_ENUMS else rm.FACTS[name].values
        value = data.get(name)
        if isinstance(value, str) and value in allowed:
            out[name] = value
            valid += 1
        else:
            out[name] = rm.UNKNOWN
    if valid < max(1, len(fields) // 2):
        return None
    tri = [out[n] for n in fields if n in rm.FACTS and rm.FACTS[n].values == rm.TRI]
    if len(tri) >= 6 and sum(v == rm.YES for v in tri) >= 0.8 * len(tri):
        return None  # "oui" everywhere: the model did not read the description
    return out


def model_to_facts(model: Mapping[str, str]) -> dict[str, object]:
    """The model's fields → the map's facts (domaine as a list, the two enums expanded)."""
    out: dict[str, object] = {}
    for name, value in model.items():
        if name in rm.MODEL_ENUMS:
            out.update(rm.expand_enum(name, value))
        elif name == "domaine":
            out[name] = [] if value == rm.UNKNOWN else [value]
        else:
            out[name] = value
    return out


# Exclusions from the regulation, and prohibited practices, are accepted only when the description
# itself states them: on the model's reading alone they become a question (and a prohibited practice
# that cannot be excluded makes the level undetermined, never minimal), so that the model never
# decides a verdict by itself.
_MODEL_NOT_ALONE = (
    {(n, rm.YES) for n in rm.EXCLUSION_KINDS} | {(n, rm.YES) for n in rm.PROHIBITED_KINDS} | {("systeme_ia", rm.NO)}
)


def merge_facts(
    kw: rm.KeywordFacts, model: Mapping[str, object] | None, given: Mapping[str, object] | None = None
) -> tuple[dict[str, object], dict[str, str], list[str]]:
    """Facts from three sources: given by the caller > keywords (strong) > model > keywords (weak).

    A weak keyword finding that the model contradicts, or a description that states a fact both
    ways, gives "inconnu" and a question to clarify. A strong keyword finding (an explicit phrase
    of the description) wins over the model, whose reading is noted in the sources."""
    facts = rm.blank_facts()
    sources: dict[str, str] = {name: "inconnu" for name in facts}
    contradictions: list[str] = []
    model = model or {}
    for name in rm.FACTS:
        if name == "domaine":
            continue
        k = kw.values.get(name)
        kv = k.value if k else rm.UNKNOWN
        mv = model.get(name, rm.UNKNOWN)
        if name in kw.conflicts:
            facts[name], sources[name] = rm.UNKNOWN, "contradiction dans la description"
            contradictions.append(name)
        elif k and k.strength == rm.HIGH:
            said = "sens de la phrase" if k.evidence.startswith(rm.SENSED) else "mots-clés"
            facts[name], sources[name] = kv, said
            if mv not in (rm.UNKNOWN, kv):
                sources[name] = f"{said} (le modèle lisait « {mv} »)"
        elif mv != rm.UNKNOWN:
            if (name, mv) in _MODEL_NOT_ALONE and kv != mv:
                # Would take the use out of the regulation on the model's word alone (an injected
                # sentence could cause it): unknown, and the question goes to to_clarify.
                facts[name], sources[name] = rm.UNKNOWN, f"modèle seul (« {mv} »), à confirmer"
                contradictions.append(name)
            elif k and k.strength == rm.LOW and kv not in (rm.UNKNOWN, mv):
                facts[name], sources[name] = rm.UNKNOWN, f"contradiction (mots-clés « {kv} », modèle « {mv} »)"
                contradictions.append(name)
            else:
                facts[name], sources[name] = mv, "modèle"
        elif k:
            facts[name], sources[name] = kv, ("mots-clés (indice faible)" if k.strength == rm.LOW else "déduit")
    k = kw.values.get("domaine")
    kd = _strings(k.value) if k else []
    md = [d for d in _strings(model.get("domaine")) if d != rm.UNKNOWN]
    if k and k.strength == rm.HIGH:
        domains, src = kd, "mots-clés"
    else:
        domains = list(dict.fromkeys(kd + md))
        src = "modèle" if md and not kd else "mots-clés (indice faible)" if kd and not md else "mots-clés et modèle"
    if len(domains) > 1 and "autre" in domains:
        domains.remove("autre")
    facts["domaine"] = domains
    sources["domaine"] = src if domains else "inconnu"
    for name, value in (given or {}).items():
        facts[name], sources[name] = value, "fourni"
        if name in contradictions:
            contradictions.remove(name)
    return facts, sources, contradictions


# ---------------------------------------------------------------------------- evidence


class _Book:
    """The passages cited by one assessment, numbered in order of creation (renumbered at the end)."""

    def __init__(self, locate: Callable[[str, str, str], tuple[Chunk, int, int] | None]):
        self._locate = locate
        self.items: list[Evidence] = []
        self._seen: dict[tuple[str, str, int, int], Evidence] = {}
        self._by_ref: dict[tuple[str, str, str], Evidence] = {}

    def cite(self, ref: rm.Ref, limit: int = GROUND_CHARS) -> Evidence | None:
        loc = self._locate(ref.doc_id, ref.ref, ref.focus)
        if loc is None:
            return None
        chunk, start, end = loc
        again = self._by_ref.get((ref.doc_id, ref.ref, ref.focus))
        if again is not None:
            return again  # the same provision cited twice (ground and obligation): one citation
        if end - start > limit:
            start, end = _focus_window(chunk.text, start, end, terms(ref.focus), limit)
        while start < end and chunk.text[start].isspace():
            start += 1
        while end > start and chunk.text[end - 1].isspace():
            end -= 1
        key = (chunk.doc_id, chunk.ref, start, end)
        if key not in self._seen:
            ev = Evidence(len(self.items) + 1, chunk, start, end, "amendment" if chunk.amends else "main")
            self.items.append(ev)
            self._seen[key] = ev
        self._by_ref[(ref.doc_id, ref.ref, ref.focus)] = self._seen[key]
        return self._seen[key]

    def line(self, lead: str, ref: rm.Ref, limit: int = ITEM_CHARS) -> tuple[str, list[int]] | None:
        """« lead : « quote » [n] » or None when the provision is not in the index."""
        ev = self.cite(ref, limit)
        if ev is None:
            return None
        return f"{lead} : {_shown(ev)} [{ev.n}]", [ev.n]


def _focus_window(text: str, start: int, end: int, focus: set[str], limit: int) -> tuple[int, int]:
    """The quote of at most `limit` characters of text[start:end] that holds most focus words:
    whole sentences when they fit (`best_window`), else a cut of one long sentence at word
    boundaries, slid to where the focus words are."""
    ws, we = best_window(text[start:end], focus, limit)
    ws, we = start + ws, start + we
    sentence_end = next(
        (e for s, e in ((start + a, start + b) for a, b in sentence_spans(text[start:end])) if s <= ws < e), we
    )
    if we >= sentence_end or not focus:
        return ws, we
    best = (len(terms(text[ws:we]) & focus), -ws, ws, we)
    for m in re.finditer(r"[,;:]\s+(?=\S)", text[ws:sentence_end]):  # start after a clause boundary
        s = ws + m.end()
        e = min(sentence_end, s + limit)
        cut = text.rfind(" ", s, e) if e < sentence_end else e
        e = cut if cut > s else e
        best = max(best, (len(terms(text[s:e]) & focus), -s, s, e))
    return best[2], best[3]


def _one_line(text: str) -> str:
    return text.replace("\n", " / ")


def _shown(ev: Evidence) -> str:
    """The exact quote between French quotation marks, with « … » where it cuts a sentence."""
    text = ev.chunk.text
    head = "…" if ev.start > 0 and text[ev.start - 1] not in "\n.:;" and not text[ev.start].isupper() else ""
    tail = "…" if ev.end < len(text) and text[ev.end - 1] not in ".;:!?" else ""
    return f"« {head}{_one_line(ev.quote)}{tail} »"


@dataclass
class _Item:
    text: str
    markers: list[int]


# ---------------------------------------------------------------------------- assessor


class Assessor:
    def __init__(
        self,
        index: PassageIndex,
        generator: Callable[[], Generator | None],
        retrieve: Callable[[str, int], SearchResult] | None = None,
        senses: Senses | None = None,
    ):
        self._index = index
        self._senses = senses
        self._generator = generator
        self._retrieve = retrieve
        self.use_model = True  # facts read by the model (else keywords only)
        self.phrase = True  # 2–3 sentence summary by the model
        self._by_key: dict[tuple[str, str], list[Chunk]] | None = None
        self._by_span: dict[tuple[str, str], list[tuple[Chunk, int, int]]] | None = None
        self.last_messages: list[dict] = []
        self.last_targeted: dict[str, tuple[str, str]] = {}  # the targeted art. 5 answers of the last reading

    def _model(self) -> Generator:
        gen = self._generator()
        if gen is None:  # keyword-only assessor (Service.assess_by_keywords)
            raise BackendError("Aucun modèle de langue pour cette évaluation : faits lus par mots-clés seulement.")
        return gen

    # ------------------------------------------------------------------ public

    def assess(
        self,
        description: str,
        *,
        on_token: Callable[[str], None] | None = None,
        facts: Mapping[str, object] | None = None,
    ) -> Assessment:
        t0 = time.perf_counter()
        text = (description or "").strip()
        if len(text) > MAX_DESCRIPTION_CHARS:
            raise InputError(f"La description dépasse {MAX_DESCRIPTION_CHARS} caractères : raccourcissez-la.")
        timings: dict[str, float] = {"retrieval_ms": 0.0}
        tokens = {"prompt": 0, "completion": 0, "cached": 0}
        llm = ""
        extraction: dict[str, object] = {}
        with EnergyMeter() as meter:
            given, notes = rm.normalise_facts(facts)
            t_senses = time.perf_counter()
            reading = self._sensed(text) if text else Reading()
            sensed, sensed_facts = reading.cues, reading.facts
            timings["senses_ms"] = _ms(t_senses)
            kw = rm.keyword_facts(text, sensed, sensed_facts) if text else None
            if kw is None or (not given and not rm.about_ai_use(text) and not _describes_use(kw)):
                body = self._not_about_ai(text)
            else:
                scorer = self._scorer(text)
                judged = [n for n in kw.cued if n not in given and n in JUDGE_MARGIN] if scorer else []
                targeted = {name: passages(text) for name in kw.cued if name not in given and name not in judged}
                # The questions follow the facts request on its cached prefix: kept adjacent, so that
                # a judgement does not move with another request evaluated in between (llama.cpp).
                hold = getattr(scorer, "hold", None) if judged else None
                with hold() if callable(hold) else contextlib.nullcontext():
                    model_facts, status, llm = (
                        (None, "désactivé", "")
                        if not self.use_model
                        else self._read_facts(text, tokens, open_fields(kw), targeted, kw.cued)
                    )
                    verdicts = self._judge(scorer, text, {n: kw.cued[n] for n in judged}, tokens) if scorer else {}
                    if scorer:  # close in meaning, no cue, words silent: judged, kept open unless set aside
                        near = [n for n in judge.near(reading.practices, JUDGE_MARGIN) if _open_to_judge(n, kw, given)]
                        uncued = {n: reading.practices[n][1] for n in near}
                        verdicts |= self._judge(scorer, text, {}, tokens, uncued=uncued)
                timings["facts_ms"] = _ms(t0)
                merged, sources, contradictions = merge_facts(kw, model_facts, given)
                sensed_only = {f: v for f, v in sensed.items() if kw.cued.get(f) == v}  # no keyword cue
                apply_targeted(merged, sources, contradictions, self.last_targeted, sensed_only)
                apply_judged(merged, sources, contradictions, verdicts)
                still_open = rm.open_practices(kw, merged, sources) | kept_open(verdicts, merged)
                decision = rm.decide(merged, text, contradictions, still_open)
                neighbours: list[Chunk] = []
                if decision.level == "undetermined" and self._retrieve is not None:
                    t1 = time.perf_counter()
                    neighbours = self._neighbours(text, decision)
                    timings["retrieval_ms"] = _ms(t1)
                body, book = self._compose(text, merged, decision, neighbours)
                if self.phrase and llm and not llm.startswith("indisponible"):
                    first = self._summarise(text, body, book, decision, on_token, tokens)
                    if first is not None:
                        timings["ttft_ms"] = round((first - t0) * 1000, 1)
                self._finish(body, book)
                extraction = {
                    "model": status,
                    "contradictions": contradictions,
                    "notes": notes,
                    "keywords": {k: str(f.value) for k, f in kw.values.items() if f.strength > rm.DEFAULT},
                }
                if sensed:  # the practices evoked by meaning only (assess/senses.py)
                    extraction["senses"] = sensed_only
                if verdicts:  # the practices judged (cued or near) by the first-token scores (assess/judge.py)
                    extraction["judged"] = {
                        n: {"oui": v.yes, "ecart": round(v.margin, 3), "seuil": v.threshold, "passage": v.passage}
                        | ({} if v.cued else {"indice": "aucun : phrase proche par le sens"})
                        for n, v in verdicts.items()
                    }
                said = {f: v for f, (v, _) in sensed_facts.items() if sources.get(f, "").startswith("sens")}
                if said:  # the facts of art. 50 read from the meaning of a sentence
                    extraction["sensed_facts"] = said
                body.update({"facts": merged, "fact_sources": sources, "extraction": extraction})
        timings.setdefault("ttft_ms", _ms(t0))
        timings["total_ms"] = _ms(t0)
        return Assessment(
            question=text,
            answer=body["answer"],
            abstained=body["abstained"],
            citations=body["citations"],
            risk_level=body["risk_level"],
            risk_label=body["risk_label"],
            obligations=body["obligations"],
            charter=body["charter"],
            recommendations=body.get("recommendations", []),
            to_clarify=body["to_clarify"],
            human_decision=body["human_decision"],
            grounds=body["grounds"],
            arguable=body["arguable"],
            facts=body["facts"],
            fact_sources=body["fact_sources"],
            extraction=body["extraction"],
            model=model_info(llm or "aucun (faits extraits par mots-clés)", self._index, "assess.system"),
            timings=timings,
            energy=meter.result,
            tokens=tokens,
        )

    # ------------------------------------------------------------------ facts

    def _scorer(self, text: str) -> Generator | None:
        """The generator when it can judge the cued practices (assess/judge.py): the model the
        thresholds were calibrated on, able to score a first token, and a French description (the
        questions are French; an English one keeps the targeted questions)."""
        if not self.use_model or not JUDGE_MARGIN or rm.is_english(fold(text)):
            return None
        try:
            gen = self._generator()
        except AssistantError:
            return None
        if gen is None or gen.name != JUDGE_MODEL or not callable(getattr(gen, "first_token_scores", None)):
            return None
        return gen

    def _judge(
        self,
        gen: Generator,
        text: str,
        cued: Mapping[str, str],
        tokens: dict,
        uncued: Mapping[str, str] | None = None,
    ) -> dict[str, judge.Verdict]:
        """Each cued practice judged by the model's « oui »/« non » first-token scores, with the
        sentence its cue points to; `uncued`: practices no cue evokes, each with the sentence closest
        to it in meaning, against the threshold that keeps them open (never establishes them). A
        practice the backend cannot score is left out (a cued one stays open)."""
        system = load_prompt("assess.system").render(canary=canary())
        section = _section("faits")
        asked = [(n, True, judge.supporting_sentence(text, c)) for n, c in cued.items()]
        asked += [(n, False, sentence) for n, sentence in (uncued or {}).items()]
        out: dict[str, judge.Verdict] = {}
        for name, is_cued, passage in asked:
            question = rm.FACTS[name].judge
            if not question:
                continue
            try:
                scores = gen.first_token_scores(  # type: ignore[attr-defined]
                    judge.messages(system, section, _neutralise(text), question), judge.WORDS
                )
                _add_usage(tokens, gen)
            except AssistantError:
                continue
            m = judge.margin(scores)
            if m is not None:
                threshold = JUDGE_MARGIN[name] if is_cued else JUDGE_OPEN_MARGIN
                out[name] = judge.Verdict(name, m, threshold, passage, cued=is_cued)
        return out

    def _sensed(self, text: str) -> Reading:
        """The practices the description evokes by meaning, the facts of art. 50 it states by meaning,
        each practice's closest sentence; nothing when no embedder is given (or it fails: the keyword
        cues still apply, and the failure is not the agent's to fix)."""
        if self._senses is None:
            return Reading()
        try:
            return self._senses.reading(text)
        except AssistantError:
            return Reading()

    def _read_facts(
        self,
        text: str,
        tokens: dict,
        fields: list[str] | None = None,
        targeted: Mapping[str, list[str]] | None = None,
        cued: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, object] | None, str, str]:
        """The model's facts for `fields` (all by default): (facts or None, status, model name).
        One retry on junk. `targeted`: the cued practices asked one by one in the same object
        (their answers go to `last_targeted`); `cued`: the words of their cues, one of which the
        passage of a « oui » must hold."""
        fields = list(MODEL_FIELDS) if fields is None else fields
        targeted = dict(targeted or {})
        self.last_targeted = {}
        system = load_prompt("assess.system").render(canary=canary())
        user = _section("faits").replace("{description}", _neutralise(text))
        name = ""
        unavailable = (
            None,
            "indisponible : faits extraits par mots-clés seulement",
            "indisponible (faits extraits par mots-clés)",
        )
        if not fields and not targeted:
            try:
                return None, "non appelé : tous les faits sont établis par la description", self._model().name
            except AssistantError:
                return unavailable
        for attempt in range(2):
            content = user if attempt == 0 else user + "\n" + _RETRY
            if len(fields) < len(MODEL_FIELDS) or targeted:
                asked = fields + [f"{TARGETED}{n}, {PASSAGE}{n}" for n in targeted]
                content += "\nChamps demandés : " + ", ".join(asked) + "."
            if targeted:
                content += "\n" + targeted_prompt(targeted)
            messages = [{"role": "system", "content": system}, {"role": "user", "content": content}]
            self.last_messages = messages
            try:
                gen = self._model()
                name = gen.name
                schema = fact_schema(fields, targeted)
                budget = FACT_TOKENS + TARGETED_TOKENS * len(targeted)
                raw = "".join(gen.stream(messages, max_tokens=budget, schema=schema))
                _add_usage(tokens, gen)
            except AssistantError:
                return unavailable
            parsed = parse_facts(raw, fields) if fields else {}
            if parsed is not None:
                self.last_targeted = parse_targeted(raw, targeted, text, cued)
                return model_to_facts(parsed), ("valide" if attempt == 0 else "valide après une nouvelle demande"), name
        return None, "réponse du modèle invalide deux fois : faits extraits par mots-clés seulement", name

    # ------------------------------------------------------------------ evidence lookup

    def _tables(self) -> None:
        if self._by_key is not None:
            return
        by_key: dict[tuple[str, str], list[Chunk]] = {}
        by_span: dict[tuple[str, str], list[tuple[Chunk, int, int]]] = {}
        for c in self._index.chunks:
            by_key.setdefault((c.doc_id, c.ref), []).append(c)
            for s in c.spans:
                if s.ref != c.ref:
                    by_span.setdefault((c.doc_id, s.ref), []).append((c, s.start, s.end))
        self._by_key, self._by_span = by_key, by_span

    def locate(self, doc_id: str, ref: str, focus: str = "") -> tuple[Chunk, int, int] | None:
        """The indexed passage of a provision: (chunk, start, end) of its own words; among the
        parts of a long provision, the one that best matches `focus`."""
        self._tables()
        assert self._by_key is not None and self._by_span is not None
        regions: list[tuple[Chunk, int, int]] = []
        for c in self._by_key.get((doc_id, ref), []):
            own = next((s for s in c.spans if s.ref == c.ref), None)
            regions.append((c, own.start, own.end) if own else (c, 0, len(c.text)))
        if not regions:
            regions = list(self._by_span.get((doc_id, ref), []))
        if not regions:
            return None
        want = terms(focus)
        return max(regions, key=lambda r: len(terms(r[0].text[r[1] : r[2]]) & want))

    def _neighbours(self, text: str, decision: rm.Decision) -> list[Chunk]:
        """Provisions close to the description (art. 5, Annex III, art. 50) not already cited."""
        if self._retrieve is None:
            return []
        try:
            result = self._retrieve(text, 8)
        except AssistantError:
            return []
        cited = {(r.doc_id, r.ref) for g in decision.possible + decision.grounds for r in g.entry.refs}
        out: list[Chunk] = []
        for h in result.hits:
            c = h.chunk
            if category(c.doc_id, c.ref, c.amends) and (c.doc_id, c.ref) not in cited and c.lang == "fr":
                out.append(c)
            if len(out) == NEIGHBOURS:
                break
        return out

    # ------------------------------------------------------------------ composition

    def _compose(
        self, text: str, facts: Mapping[str, object], decision: rm.Decision, neighbours: list[Chunk]
    ) -> tuple[dict, _Book]:
        book = _Book(self.locate)
        level = decision.level
        lines: list[str] = []
        sentence = LEVEL_SENTENCE[level]
        if level == "undetermined" and decision.reason:
            sentence += f" ({decision.reason})."
        lines.append(f"Niveau de risque : {sentence}")
        if decision.arguable:
            lines.append(levels.arguable_line(decision.arguable))
        lines.append("Fondements :")
        lines += _grounds(book, decision, neighbours)
        obligations = _obligations(book, facts, decision)
        charter = _charter(book, facts, decision)
        advice = _recommendations(book, facts, decision)
        questions = decision.questions[:MAX_QUESTIONS]
        if obligations:
            lines.append("Obligations du Département :")
            lines += [f"— {o.text}" for o in obligations]
        if charter:
            lines.append("Charte IA du Département :")
            lines += [f"— {c.text}" for c in charter]
        if advice:  # after everything that binds: its citations come last, the others keep their numbers
            lines.append(recommendations.HEADING)
            lines += [f"— {r.text}" for r in advice]
            quoted = recommendations.due(_LAW.recommendations, _conditions(facts, decision))
            lines += attributions([self._index.source(d) for d in dict.fromkeys(r.ref.doc_id for r in quoted)])
        if questions:
            lines.append("Points à clarifier :")
            lines += [f"— {q}" for q in questions]
        human = HUMAN_DECISION
        if level in ("prohibited", "high-risk"):
            human += HUMAN_DECISION_LEGAL
        elif level == "undetermined":
            human += HUMAN_DECISION_CLARIFY
        lines.append("Décision :")
        lines.append(human)
        body = {
            "answer": "\n".join(lines),
            "abstained": False,
            "risk_level": level,
            "risk_label": rm.LEVEL_FR[level],
            "_obligations": obligations,
            "_charter": charter,
            "_recommendations": advice,
            "to_clarify": questions,
            "human_decision": human,
            "arguable": decision.arguable,
            "grounds": [
                {
                    "id": g.entry.id,
                    "kind": g.kind,
                    "level": g.entry.level,
                    "label": g.entry.label,
                    "refs": [f"{r.doc_id}:{r.ref}" for r in g.entry.refs],
                }
                for g in decision.grounds + decision.extra + decision.possible
            ],
        }
        return body, book

    def _summarise(
        self,
        text: str,
        body: dict,
        book: _Book,
        decision: rm.Decision,
        on_token: Callable[[str], None] | None,
        tokens: dict,
    ) -> float | None:
        """2–3 sentences by the model, each kept only if one cited passage supports it and it does not
        contradict the computed level; placed before the composed answer."""
        result = _result_for_prompt(body["answer"])
        system = load_prompt("assess.system").render(canary=canary())
        user = _section("resume").replace("{description}", _neutralise(text)).replace("{result}", result)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        first: float | None = None
        try:
            gen = self._model()
            raw, first = collect(gen, messages, SUMMARY_TOKENS, PHRASE_SCHEMA, on_token)
            _add_usage(tokens, gen)
        except AssistantError:
            return first
        reply = parse_reply("".join(raw), len(book.items))
        if not reply.text or canary() in reply.text:
            return first
        by_n = {e.n: e for e in book.items}
        others = {g.entry.level for g in decision.extra if g.kind == rm.MATCH}
        kept: list[str] = []
        for s, e in sentence_spans(reply.text):
            bare = MARKER.sub("", reply.text[s:e]).strip()
            if len(terms(bare)) < 2 or _contradicts_level(bare, decision.level, others):
                continue
            candidates = [n for n in reply.sources if n in by_n] + [n for n in by_n if n not in reply.sources]
            claim = _DESIGNATION.sub(" ", bare)  # "annexe III, point 5 a)" locates, asserts nothing
            scored = [(support(claim, [by_n[n].chunk.text]), -i, n) for i, n in enumerate(candidates)]
            if not scored:
                continue
            _, _, n = max(scored)  # the passage that supports it best, then the check the answers apply
            if is_supported(claim, [by_n[n].chunk.text]):
                kept.append(f"{bare} [{n}]")
        if kept:
            body["answer"] = " ".join(kept) + "\n" + body["answer"]
        return first

    def _finish(self, body: dict, book: _Book) -> None:
        """Renumber the citations in order of first appearance; the lists get the same numbers."""
        text, citations = renumber(body["answer"], book.items, self._index.url, self._index.source)
        order: list[int] = []
        for m in MARKER.finditer(body["answer"]):
            k = int(m.group(1))
            if k not in order and any(e.n == k for e in book.items):
                order.append(k)
        mapping = {old: new for new, old in enumerate(order, 1)}
        body["answer"] = text
        body["citations"] = citations

        def listed(items: list[_Item]) -> list[ListItem]:
            out = []
            for it in items:
                item_text = MARKER.sub(lambda m: f"[{mapping.get(int(m.group(1)), 0)}]", it.text).replace(" [0]", "")
                nums = [mapping[k] for k in dict.fromkeys(it.markers) if k in mapping]
                out.append(ListItem(item_text, tuple(citations[n - 1] for n in nums)))
            return out

        body["obligations"] = listed(body.pop("_obligations"))
        body["charter"] = listed(body.pop("_charter"))
        body["recommendations"] = listed(body.pop("_recommendations"))

    def _not_about_ai(self, text: str) -> dict:
        questions = [rm.FACTS["finalite_definie"].question, rm.FACTS["domaine"].question]
        answer = "\n".join(
            [
                f"Niveau de risque : {LEVEL_SENTENCE['undetermined']}.",
                NOT_ABOUT_AI,
                "Points à clarifier :",
                *[f"— {q}" for q in questions],
                "Décision :",
                HUMAN_DECISION + HUMAN_DECISION_CLARIFY,
            ]
        )
        return {
            "answer": answer,
            "abstained": True,
            "citations": [],
            "risk_level": "undetermined",
            "risk_label": rm.LEVEL_FR["undetermined"],
            "obligations": [],
            "charter": [],
            "recommendations": [],
            "to_clarify": questions,
            "human_decision": HUMAN_DECISION + HUMAN_DECISION_CLARIFY,
            "grounds": [],
            "arguable": None,
            "facts": rm.blank_facts(),
            "fact_sources": {},
            "extraction": {"model": "non appelé", "contradictions": [], "notes": []},
        }


# ---------------------------------------------------------------------------- grounds


def _grounds(book: _Book, decision: rm.Decision, neighbours: list[Chunk]) -> list[str]:
    lines: list[str] = []

    def add(lead: str, ref: rm.Ref, limit: int = GROUND_CHARS) -> None:
        got = book.line(lead, ref, limit)
        if got:
            lines.append(f"— {got[0]}")

    for g in decision.grounds:
        e = g.entry
        if g.kind == "profiling":
            add(_SPECIAL["profiling"].lead, rm.PROFILING_REF)
            continue
        if e.id == "art-6-3":
            add("Tâche procédurale étroite ou préparatoire : dérogation de l'article 6, paragraphe 3", e.refs[0], 360)
            add("Condition remplie", e.refs[1], 200)
            continue
        add(e.label, e.main)
    for g in decision.extra:
        e = g.entry
        if g.kind == rm.EXCEPTED:
            add(f"{e.label} — {g.note}", e.main)
        elif g.kind == rm.ARGUABLE:
            add(f"Niveau discutable, sinon : {e.label}", e.main)
        elif g.kind == "derogation":
            add(f"{e.label} — {g.note}", e.main, 300)
        elif e.id == "art-6-3":
            add("Tâche procédurale étroite ou préparatoire (article 6, paragraphe 3)", e.refs[1], 200)
        elif e.level == "limited" and decision.level in ("high-risk", "prohibited"):
            add(f"Également : {e.label}", e.main)
        elif e.level == "minimal" and decision.level != "minimal":
            add(e.label, e.main, 300)
        elif e.level == "limited":
            add(e.label, e.main)
    for g in decision.possible:
        add(f"À examiner : {g.entry.label}", g.entry.main)
    if decision.level == "undetermined":
        add(_SPECIAL["high_risk_rule"].lead, rm.HIGH_RISK_RULE)
        for c in neighbours:
            add(f"Disposition voisine à vérifier : {c.label}", rm.Ref(c.doc_id, c.ref), 300)
    if decision.level == "minimal" and not decision.grounds:
        add(_SPECIAL["minimal_rule"].lead, rm.MINIMAL_RULE, 360)
    return lines


# ---------------------------------------------------------------------------- obligations and charter


def _strings(value: object) -> list[str]:
    """A multi-valued fact (the domains) as a list; a single or unknown value gives none."""
    return [str(v) for v in value] if isinstance(value, (list, tuple, set, frozenset)) else []


def _conditions(facts: Mapping[str, object], decision: rm.Decision) -> dict[str, bool]:
    """The conditions an obligation or a charter challenge may name (`assistant.law.CONDITIONS`)."""
    level = decision.level
    established = decision.grounds + [g for g in decision.extra if g.kind == rm.MATCH]
    points = {g.entry.id for g in decision.grounds if g.entry.id.startswith("annex-iii")}
    yes = {name for name, v in facts.items() if v == rm.YES}
    domains = set(_strings(facts.get("domaine")))
    biometric = bool(
        facts.get("biometrie") in ("verification", "identification", "categorisation")
        or {"donnees_biometriques", "reconnaissance_emotions"} & yes
    )
    personal = bool(
        biometric
        or {"decision_sur_personnes", "profilage", "interagit_avec_personnes"} & yes
        or domains & {"prestations_sociales", "emploi_rh", "education", "urgences", "maintien_ordre", "migration"}
    )
    automated = facts.get("decision_automatisee") == "totale"
    on_persons = "decision_sur_personnes" in yes
    media = bool({"genere_contenu", "interagit_avec_personnes"} & yes)
    return {
        "travail-ou-ecole": "emploi_rh" in domains or "contexte_travail_ou_ecole" in yes,
        "personnes-concernees": on_persons
        or any(p.startswith(("annex-iii-1", "annex-iii-3", "annex-iii-4", "annex-iii-5")) for p in points),
        "annexe-iii": bool(points),
        # art. 27, 49(3) and 86: Annex III except point 2 (critical infrastructure)
        "annexe-iii-hors-point-2": bool(points - {"annex-iii-2"}),
        "transparence": any(g.entry.level == "limited" for g in established),
        "supervision-humaine": on_persons or level in ("high-risk", "prohibited", "undetermined") or automated,
        "decision-entierement-automatisee": automated and (on_persons or level == "high-risk"),
        "biometrie": biometric,
        "haut-risque-ou-indetermine-sans-biometrie": level in ("high-risk", "undetermined") and not biometric,
        "donnees-personnelles": personal,
        "contenus-dialogue-ou-donnees-personnelles": media or personal,
        "information-des-usagers": level == "limited" or media or "publication_externe" in yes or on_persons,
        "contenus-dialogue-ou-biometrie": media or biometric,
        "pas-interdit": level != "prohibited",
    }


def _obligations(book: _Book, facts: Mapping[str, object], decision: rm.Decision) -> list[_Item]:
    """The deployer obligations of the law data whose level, conditions and ground hold, in order."""
    holds = _conditions(facts, decision)
    established = {g.entry.id for g in decision.grounds + [g for g in decision.extra if g.kind == rm.MATCH]}
    items: list[_Item] = []
    for ob in _LAW.obligations:
        if decision.level not in ob.levels or not all(holds[c] for c in ob.when):
            continue
        if ob.ground and ob.ground not in established:
            continue
        quotes, markers = [], []
        for ref in ob.refs:
            ev = book.cite(ref, ITEM_CHARS)
            if ev is not None:
                quotes.append(f"{_shown(ev)} [{ev.n}]")
                markers.append(ev.n)
        if quotes:
            items.append(_Item(f"{ob.lead} : " + " ; ".join(quotes), markers))
    return items


def _charter(book: _Book, facts: Mapping[str, object], decision: rm.Decision) -> list[_Item]:
    """The charter challenges of the law data whose conditions hold, in order (none for a tool that is
    not an AI system)."""
    if decision.level == "out-of-scope" and facts.get("systeme_ia") == rm.NO:
        return []
    holds = _conditions(facts, decision)
    items: list[_Item] = []
    for challenge in _LAW.charter:
        if len(items) >= MAX_CHARTER:
            break  # not even quoted: a quote enters the assessment's citations
        if all(holds[c] for c in challenge.when):
            got = book.line(challenge.lead, challenge.ref, challenge.quote_chars)
            if got:
                items.append(_Item(*got))
    return items


def _recommendations(book: _Book, facts: Mapping[str, object], decision: rm.Decision) -> list[_Item]:
    """The CNIL's recommendations whose conditions hold (assess/recommendations.py), quoted verbatim."""
    if decision.level == "out-of-scope" and facts.get("systeme_ia") == rm.NO:
        return []
    items: list[_Item] = []
    for rec in recommendations.due(_LAW.recommendations, _conditions(facts, decision)):
        got = book.line(rec.lead, rec.ref, rec.quote_chars)
        if got:
            items.append(_Item(*got))
    return items


# ---------------------------------------------------------------------------- helpers

_RETRY = (
    "Ta réponse précédente n'était pas un objet JSON valide : réponds seulement avec l'objet JSON complet des champs."
)


def _section(name: str) -> str:
    """A section ([faits] or [resume]) of prompts/assess.user.md."""
    template = load_prompt("assess.user").template
    m = re.search(rf"^\[{name}\]\n(.*?)(?=^\[\w+\]\n|\Z)", template, re.S | re.M)
    return m.group(1).strip() if m else template


def _neutralise(text: str) -> str:
    """The description is data: no control characters, no quote marks that would end its frame."""
    t = "".join(ch for ch in text if ch.isprintable() or ch in " \n")
    return t.replace("«", '"').replace("»", '"')[:MAX_DESCRIPTION_CHARS]


def _result_for_prompt(answer: str) -> str:
    """The computed result as the model sees it: level and grounds, short (fast first token)."""
    keep = []
    for line in answer.split("\n"):
        if line.startswith(("Obligations", "Charte", "Points", "Décision")):
            break
        if line.startswith("— "):
            line = re.sub(r" : « .*?» (\[\d+\])$", r" \1", line)
        keep.append(line)
    return "\n".join(keep)[:900]


def _contradicts_level(sentence: str, level: str, others: set[str]) -> bool:
    s = fold(sentence)
    if level == "prohibited" and _ALLOWED.search(s) and not re.search(r"\b(non|ne|n'|pas)\b", s):
        return True
    for other, pattern in _LEVEL_WORDS.items():
        if other != level and other not in others and re.search(pattern, s):
            return True
    return False


def _add_usage(tokens: dict, gen: Generator) -> None:
    u = gen.usage
    tokens["prompt"] += u.prompt_tokens
    tokens["completion"] += u.completion_tokens
    tokens["cached"] += u.cached_tokens


def _describes_use(kw: rm.KeywordFacts) -> bool:
    """The keywords found a task or a domain: a use is described even without the word « IA »."""
    task = kw.values.get("finalite_definie")
    return bool((task and task.value == rm.YES) or kw.values.get("domaine"))


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


__all__ = [
    "Assessor",
    "apply_judged",
    "apply_targeted",
    "compose_description",
    "fact_schema",
    "merge_facts",
    "model_to_facts",
    "open_fields",
    "parse_facts",
    "parse_targeted",
    "passages",
    "targeted_prompt",
]
