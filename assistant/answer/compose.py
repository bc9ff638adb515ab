"""Grounded answers: evidence first, the model chooses and phrases, code composes and checks.

    retrieve → abstain? (absolute evidence signals) → select + trim evidence (+ amending
    provisions) → verdict from the evidence's category → model: JSON {trouve, reponse,
    sources} → keep only supported, non-contradicting sentences → compose the answer
    with the exact quotes and provision labels → citations verified → label, timings,
    energy.

The answer text always carries the decisive words of the cited provisions (quoted
verbatim) and their labels, so a correct retrieval yields a correct, checkable answer
even when the small model phrases badly (LESSONS.md, 7).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.answer.cite import QUOTE_GAP, best_window, is_supported, refine, sentence_spans, terms
from assistant.answer.injection import has_markup, withhold
from assistant.answer.prompts import canary, load_prompt
from assistant.answer.result import Answer, Citation, Closest, ModelInfo
from assistant.answer.schedule import asks_date, date_lines, dates_in, schedule_evidence
from assistant.answer.scope import unanswerable
from assistant.answer.sets import SetAnswer, build_set
from assistant.answer.verdict import Verdict, contradicts, verdict_for
from assistant.backends import Generator
from assistant.base.errors import BackendError
from assistant.base.tuning import (
    AMEND_QUOTE_CHARS,
    ANSWER_HITS,
    ANSWER_MAX_TOKENS,
    BM25_RESCUE,
    CALIBRATION,
    HARD_FLOOR,
    MAX_AMEND,
    MAX_MAIN,
    MAX_PROMPT_PASSAGES,
    MAX_SIBLINGS,
    MIN_CITED,
    PROMPT_CHARS,
    QUOTE_CHARS,
    SCOPE_PASSAGES,
    SIBLING_CHARS,
    TOP_QUOTE_CHARS,
)
from assistant.base.units import Chunk
from assistant.ops.energy import EnergyMeter
from assistant.search.index import PassageIndex
from assistant.search.retrieve import SearchResult
from assistant.search.thesaurus import expand
from assistant.text.citations import SPACED_MARKER
from assistant.text.dates import french_dates, to_french
from assistant.text.norm import clean_ws, fold

AI_ACT_PREFIX = (
    "Règlement (UE) 2024/1689, "  # implied in a list's lines (the texts of 2026/1744 and the charter keep theirs)
)
ABSTAIN_TEXT = (
    "Les textes de référence (règlement (UE) 2024/1689 sur l'IA, règlement (UE) 2026/1744 qui le modifie, "
    "projet de charte IA du Département) ne permettent pas de répondre à cette question."
)

# Abstention thresholds, quote and prompt lengths are tuned numbers, with where each comes
# from: assistant/base/tuning.py.


def calibration(embedder_name: str) -> tuple[float, float]:
    """(floor, strong) cosine similarities of the best passage for this embedder."""
    for prefix, values in CALIBRATION.items():
        if embedder_name.startswith(prefix):
            return values
    return CALIBRATION["embeddinggemma"]


_LIST_QUESTION = re.compile(
    r"\bquel(le)?s\b|lesquel|que doi(t|vent) (contenir|comprendre|inclure|prevoir)|contenu|liste|enumer|elements|criteres|conditions|obligations|informations|mesures|exigences"
)
SCHEMA = {
    "type": "object",
    "properties": {
        "trouve": {"type": "boolean"},
        "reponse": {"type": "string"},  # no maxLength: llama.cpp expands it into a grammar that slows sampling ~20x
        "sources": {"type": "array", "items": {"type": "integer"}, "maxItems": 4},
    },
    "required": ["trouve", "reponse", "sources"],
}
_ANNOUNCES_LIST = re.compile(r"(suivant(e|s|es)?|comprenant|notamment|ci-après)\s*:\s*$", re.M)


@dataclass
class Evidence:
    n: int
    chunk: Chunk
    start: int
    end: int
    role: str = "main"  # main | amendment | schedule | lead | sibling | item
    dense: float = 0.0
    lead: tuple[int, int] | None = None  # a lead-in quoted before a point it is not adjacent to
    gloss: str = ""  # item of a set answer: its short French gloss (answer/sets.py)
    note: str = ""  # item of a set answer: « inséré par… », « modifié par… »

    @property
    def quote(self) -> str:
        """Verbatim words of the passage; a lead-in and a non-adjacent point are joined with « […] »."""
        own = self.chunk.text[self.start : self.end]
        if self.lead is None:
            return own
        return f"{self.chunk.text[self.lead[0] : self.lead[1]]}{QUOTE_GAP}{own}"

    def located(self) -> tuple[str, str, int | None]:
        return refine(self.chunk, self.start, self.end)


@dataclass
class _Body:
    """What composition or abstention decided, before the figures common to every answer are added."""

    text: str
    abstained: bool
    citations: list[Citation]
    verdict: str | None
    closest: list[Closest] = field(default_factory=list)
    reason: str | None = None


@dataclass
class ModelReply:
    found: bool | None = None
    text: str = ""
    sources: list[int] = field(default_factory=list)
    valid: bool = False


def parse_reply(raw: str, n_evidence: int) -> ModelReply:
    """Validate the model's JSON; degenerate output (field names, cut lists) is rejected."""
    try:
        start = raw.index("{")
        data = json.loads(raw[start : raw.rindex("}") + 1])
    except ValueError:
        return ModelReply()
    if not isinstance(data, dict):
        return ModelReply()
    found = data.get("trouve")
    text = data.get("reponse")
    sources = data.get("sources")
    text = clean_ws(text) if isinstance(text, str) else ""
    if text.lower().strip(" .:") in {"reponse", "réponse", "trouve", "sources", "…", "..."}:
        text = ""
    ok_sources = (
        [s for s in sources if isinstance(s, int) and 1 <= s <= n_evidence] if isinstance(sources, list) else []
    )
    return ModelReply(found if isinstance(found, bool) else None, text, list(dict.fromkeys(ok_sources)), True)


def collect(
    gen: Generator, messages: list, max_tokens: int, schema: dict | None, on_token: Callable[[str], None] | None
) -> tuple[list[str], float | None]:
    """Run one generation: the raw pieces, the time of the first one, and the "reponse"
    field streamed to `on_token` as it comes."""
    first: float | None = None
    raw: list[str] = []
    streamer = FieldStreamer("reponse", on_token) if on_token else None
    for delta in gen.stream(messages, max_tokens=max_tokens, schema=schema):
        if first is None:
            first = time.perf_counter()
        raw.append(delta)
        if streamer:
            streamer.feed(delta)
    return raw, first


class FieldStreamer:
    """Streams the characters of one JSON string field out of a token stream."""

    def __init__(self, key: str, emit: Callable[[str], None]):
        self._key = f'"{key}"'
        self._emit = emit
        self._buf = ""
        self._state = "seek"  # seek | value | done
        self._escape = False

    def feed(self, delta: str) -> None:
        if self._state == "done":
            return
        self._buf += delta
        if self._state == "seek":
            i = self._buf.find(self._key)
            if i < 0:
                return
            m = re.compile(r'\s*:\s*"').match(self._buf, i + len(self._key))
            if not m:
                return
            self._buf = self._buf[m.end() :]
            self._state = "value"
        out = []
        for ch in self._buf:
            if self._escape:
                out.append({"n": "\n", "t": " ", '"': '"', "\\": "\\", "/": "/"}.get(ch, ""))
                self._escape = False
            elif ch == "\\":
                self._escape = True
            elif ch == '"':
                self._state = "done"
                break
            else:
                out.append(ch)
        self._buf = ""
        if out:
            self._emit("".join(out))


class Answerer:
    def __init__(
        self, retrieve: Callable[[str, int], SearchResult], generator: Callable[[], Generator], index: PassageIndex
    ):
        self._retrieve = retrieve
        self._generator = generator
        self._index = index
        self.floor, self.strong = calibration(index.embedder_name)
        self._aliases = index.aliases()
        self._vocab: frozenset[str] | None = None

    # ------------------------------------------------------------------ public

    def ask(self, question: str, *, on_token: Callable[[str], None] | None = None) -> Answer:
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        tokens = {"prompt": 0, "completion": 0, "cached": 0}
        llm_name = ""
        first_content: list[float] = []

        def emit(piece: str) -> None:  # the first piece of answer text sent is "first useful content"
            if not piece:
                return
            if not first_content:
                first_content.append(time.perf_counter())
            if on_token is not None:
                on_token(piece)

        with EnergyMeter() as meter:
            result = self._retrieve(question, ANSWER_HITS)
            timings["retrieval_ms"] = _ms(t0)
            listed = build_set(question, [h.chunk for h in result.hits], self._index)
            if listed is not None:
                emit(listed.preview())  # the list built by code goes out before the model runs
            weak = result.max_dense < self.floor
            rescued = weak and (
                bool(result.concepts) or (result.max_dense >= HARD_FLOOR and result.max_bm25 >= BM25_RESCUE)
            )
            reason = unanswerable(
                question, [h.chunk.text for h in result.hits[:SCOPE_PASSAGES]], self._vocabulary(), self._aliases
            )
            if listed is not None and listed.from_data:
                reason, weak = None, False  # the list is the evidence: read from the texts' structure
            if reason:
                body = self._abstain(question, result, reason)
            elif not result.hits or (weak and not rescued):
                body = self._abstain(question, result)
            else:
                evidence = self._select(question, result)
                verdict = verdict_for(
                    question, [(e.n, e.chunk.doc_id, e.chunk.ref, e.chunk.label, e.chunk.amends) for e in evidence]
                )
                if listed is None and not rescued:  # the evidence goes out first: the best passage, quoted
                    emit(evidence_preview(evidence, verdict))
                reply, llm_name, first = self._phrase(question, evidence, emit, tokens)
                if first is not None:
                    timings["ttft_ms"] = round((first - t0) * 1000, 1)
                # The small model's « not found » is a weak signal (on the dev set it wrongly
                # abstained on 7 answerable questions and caught no unanswerable one that the
                # evidence checks did not): it counts only without a recognised concept or
                # verdict and on middling evidence.
                doubtful = (
                    reply.found is False
                    and result.max_dense < (self.floor + self.strong) / 2
                    and not result.concepts
                    and verdict is None
                )
                if listed is None and (doubtful or (rescued and reply.found is not True)):
                    body = self._abstain(question, result)
                else:
                    body = self._compose(question, evidence, verdict, reply, listed)
        timings.setdefault("ttft_ms", _ms(t0))
        timings["first_content_ms"] = round((first_content[0] - t0) * 1000, 1) if first_content else timings["ttft_ms"]
        timings["total_ms"] = _ms(t0)
        return Answer(
            question=question,
            answer=body.text,
            abstained=body.abstained,
            citations=body.citations,
            verdict=body.verdict,
            closest=body.closest,
            abstention_reason=body.reason,
            model=model_info(llm_name or "aucun (abstention décidée avant génération)", self._index, "answer.system"),
            timings=timings,
            energy=meter.result,
            tokens=tokens,
            signals={"max_dense": round(result.max_dense, 4), "max_bm25": round(result.max_bm25, 3)},
        )

    def _vocabulary(self) -> frozenset[str]:
        if self._vocab is None:
            self._vocab = self._index.vocabulary()
        return self._vocab

    # ------------------------------------------------------------------ evidence

    def _select(self, question: str, result: SearchResult) -> list[Evidence]:
        qterms = terms(expand(question))
        chosen: list[Evidence] = []
        seen: set[tuple[str, str, str]] = set()  # parts of a long section are distinct passages
        hits = result.hits
        dated = asks_date(question)
        if dated:  # dates of application live in article 113 (as amended), see schedule.py
            for c in schedule_evidence(question, self._index.chunks):
                seen.add((c.doc_id, c.ref, c.text[:80]))
                chosen.append(Evidence(len(chosen) + 1, c, 0, len(c.text), "schedule"))
        # Articles and annex points first; a recital only if it is the best hit or nothing else came.
        ordered = [h for h in hits if h.chunk.kind != "recital" or h is hits[0]] + [
            h for h in hits if h.chunk.kind == "recital" and h is not hits[0]
        ]
        for h in ordered:
            key = (h.chunk.doc_id, h.chunk.ref, h.chunk.text[:80])  # parts of a long section are distinct passages
            if key in seen:
                continue
            seen.add(key)
            top = not any(e.role == "main" for e in chosen)
            limit = AMEND_QUOTE_CHARS if h.chunk.amends else TOP_QUOTE_CHARS if top else QUOTE_CHARS
            start, end = quote_window(h.chunk, qterms, limit)
            chosen.append(Evidence(len(chosen) + 1, h.chunk, start, end, "main", h.dense))
            if sum(e.role == "main" for e in chosen) >= (MAX_MAIN - 1 if dated else MAX_MAIN):
                break
        chosen += self._lead_in(chosen, qterms)
        if not dated:
            chosen += self._siblings(question, chosen, qterms) or self._list_items(chosen, qterms)
        return chosen + self._amendments(question, chosen, qterms)

    def _siblings(self, question: str, main: list[Evidence], qterms: set[str]) -> list[Evidence]:
        """For a question asking for a list ("quelles obligations…"), the other points of the
        enumeration the best passage belongs to: the answer is the list, not one item of it."""
        if not main or not _LIST_QUESTION.search(fold(question)):
            return []
        top = main[0].chunk
        if top.kind not in ("point", "annex-point") or "-" not in top.ref:
            return []
        parent = top.ref.rsplit("-", 1)[0]
        present = {(e.chunk.doc_id, e.chunk.ref) for e in main}
        return self._items(
            [c for c in self._index.children(top.doc_id, parent) if (c.doc_id, c.ref) not in present],
            len(main),
            qterms,
        )

    def _lead_in(self, main: list[Evidence], qterms: set[str]) -> list[Evidence]:
        """The whole lead-in of the best passage when its chunk carries it shortened (« … »):
        who must act and when is often said there (« les déployeurs qui sont des organismes
        de droit public… avant le déploiement… »)."""
        top = next((e for e in main if e.role == "main"), None)
        if top is None or not top.chunk.text.startswith("…"):
            return []
        parent_ref = top.chunk.spans[0].ref if top.chunk.spans else ""
        parent = self._index.chunk_by_key(top.chunk.doc_id, parent_ref) if parent_ref != top.chunk.ref else None
        if parent is None or any(e.chunk is parent for e in main):
            return []
        start, end = quote_window(parent, qterms, QUOTE_CHARS)
        return [Evidence(len(main) + 1, parent, start, end, "lead")]

    def _list_items(self, main: list[Evidence], qterms: set[str]) -> list[Evidence]:
        """The points announced by the best passage ("… l'une des conditions suivantes est
        remplie:"): a passage that introduces a list is incomplete without it."""
        if not main:
            return []
        top = main[0]
        if not _ANNOUNCES_LIST.search(top.quote):
            return []
        present = {(e.chunk.doc_id, e.chunk.ref) for e in main}
        return self._items(
            [c for c in self._index.children(top.chunk.doc_id, top.chunk.ref) if (c.doc_id, c.ref) not in present],
            len(main),
            qterms,
        )

    def _items(self, chunks: list[Chunk], numbered: int, qterms: set[str]) -> list[Evidence]:
        """Points of an enumeration as evidence, each quoted by its own words (bounded)."""
        out: list[Evidence] = []
        for c in chunks[:MAX_SIBLINGS]:
            if c.kind == "recital":
                continue
            own = next((sp for sp in c.spans if sp.ref == c.ref), None)
            start, end = (own.start, own.end) if own else (0, len(c.text))
            if end - start > SIBLING_CHARS:
                ws, we = best_window(c.text[start:end], qterms, SIBLING_CHARS)
                start, end = start + ws, start + we
            out.append(Evidence(numbered + len(out) + 1, c, start, end, "sibling"))
        return out

    def _amendments(self, question: str, main: list[Evidence], qterms: set[str]) -> list[Evidence]:
        """The amending provisions of the cited ones, best first (LESSONS.md, 11)."""
        present = {(e.chunk.doc_id, e.chunk.ref) for e in main}
        out: list[Evidence] = []
        for e in main:
            for link in self._finest_first(e.chunk.amended_by):
                doc_id, ref = link.split(":", 1)
                if (doc_id, ref) in present:
                    continue
                chunk = self._index.chunk_by_key(doc_id, ref)
                if chunk is None:
                    continue
                present.add((doc_id, ref))
                start, end = quote_window(chunk, qterms | _english_terms(question), AMEND_QUOTE_CHARS)
                out.append(Evidence(0, chunk, start, end, "amendment"))
                break  # one amending provision per cited provision
            if len(out) == MAX_AMEND:
                break
        for i, e in enumerate(out, len(main) + 1):
            e.n = i
        return out

    @staticmethod
    def _listed(listed: SetAnswer | None, numbered: int) -> list[Evidence]:
        """The items of a set answer as evidence (role "item"), numbered after the others."""
        if listed is None:
            return []
        out = []
        for i, e in enumerate(listed.entries, numbered + 1):
            ev = Evidence(i, e.chunk, e.start, e.end, "item", lead=e.lead, gloss=e.gloss, note=e.note)
            out.append(ev)
        return out

    def _finest_first(self, links: tuple[str, ...]) -> list[str]:
        """Amending provisions with words of their own first: « Article 57 is amended as
        follows: » alone says nothing, its point « a) in paragraph 1, … » says what changes."""

        def announces_only(link: str) -> bool:
            chunk = self._index.chunk_by_key(*link.split(":", 1))
            return chunk is not None and "\n" not in chunk.text.strip() and chunk.text.rstrip().endswith(":")

        return sorted(links, key=announces_only)

    # ------------------------------------------------------------------ model

    def _phrase(
        self, question: str, evidence: list[Evidence], on_token: Callable[[str], None] | None, tokens: dict
    ) -> tuple[ModelReply, str, float | None]:
        system = load_prompt("answer.system").render(canary=canary())
        qterms = terms(expand(question)) | _english_terms(question)
        passages = "\n".join(_prompt_passage(e, qterms) for e in evidence[:MAX_PROMPT_PASSAGES])
        user = load_prompt("answer.user").render(passages=passages, question=_neutralise(question))
        first: float | None = None
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        self.last_messages = messages  # kept for the overhead benchmark
        try:
            gen = self._generator()
            raw, first = collect(gen, messages, ANSWER_MAX_TOKENS, SCHEMA, on_token)
            tokens.update(
                prompt=gen.usage.prompt_tokens, completion=gen.usage.completion_tokens, cached=gen.usage.cached_tokens
            )
            name = gen.name
        except BackendError:
            return ModelReply(), "indisponible (réponse extractive)", first
        return parse_reply("".join(raw), len(evidence)), name, first

    # ------------------------------------------------------------------ composition

    def _compose(
        self,
        question: str,
        evidence: list[Evidence],
        verdict: Verdict | None,
        reply: ModelReply,
        listed: SetAnswer | None = None,
    ) -> _Body:
        texts = [withhold(e.chunk.text) for e in evidence]  # an order planted in a passage supports nothing
        items = self._listed(listed, len(evidence))
        kept: list[str] = []
        used: list[int] = []
        if reply.text and canary() not in reply.text:
            for s, t in sentence_spans(reply.text):
                sentence = reply.text[s:t]
                markers = [int(m) for m in SPACED_MARKER.findall(sentence)]
                bare = SPACED_MARKER.sub("", sentence).strip()
                if not bare or any(m < 1 or m > len(evidence) for m in markers):
                    markers = [m for m in markers if 1 <= m <= len(evidence)]
                refs = markers or reply.sources or [1]
                if has_markup(bare) or not is_supported(bare, [texts[r - 1] for r in refs]):
                    continue
                if _circular(bare, question):
                    continue
                if verdict and contradicts(bare, verdict):
                    continue
                kept.append(f"{bare} " + "".join(f"[{r}]" for r in refs))
                used.extend(refs)
        lines: list[str] = []
        schedule = [e for e in evidence if e.role == "schedule"]
        amended = self._amended_dates(evidence, len(evidence) + len(items)) if schedule else []
        if amended:  # a date the amending act changes inside the provision wins over article 113
            schedule = []
            for line, a in amended:
                lines.append(line)
                used.append(a.n)
                evidence.append(a)
                schedule.append(a)
        elif schedule:
            lines.append(self._date_sentence(question, schedule))
            used += [e.n for e in schedule]
        if listed is not None and items:
            lines.append(listed.opening)
            lines += [item_line(k, e) for k, e in enumerate(items, 1)]
        if verdict:
            lines.append(verdict.sentence)
            used.append(verdict.n)
        if kept:
            lines.append(" ".join(kept))
        # a passage quoted by a list item is not quoted again, unless the search chose other words of it
        item_quotes = {(e.chunk.doc_id, e.chunk.ref): e.quote for e in items}
        main = schedule + [
            e
            for e in evidence
            if e.role == "main" and e.quote not in item_quotes.get((e.chunk.doc_id, e.chunk.ref), "")
        ]
        cited_main = [e for e in main if e.n in used or e.n == 1]
        for extra in main[1:]:
            if len(cited_main) >= MIN_CITED:
                break
            if extra not in cited_main:
                cited_main.append(extra)  # show at least the MIN_CITED best passages
        if items and listed is not None and listed.from_data:  # the list's quotes come first, and suffice
            cited_main = items + [e for e in cited_main if e in schedule or e.n in used or e.n == 1]
        elif items:  # a list read from the best passage's enumeration: the other passages stay quoted
            cited_main = items + cited_main
        else:
            cited_main += [e for e in evidence if e.role in ("lead", "sibling")]
        evidence = evidence + items
        lines.append("Texte applicable :")
        for e in cited_main if items else sorted(cited_main, key=lambda e: e.n):
            _, label, page = e.located()
            lines.append(f"— {label}{_page(page)} : « {e.quote} » [{e.n}]")
        cited = list(cited_main)
        by_key = {f"{e.chunk.doc_id}:{e.chunk.ref}": e for e in evidence}
        for m in sorted(cited_main, key=lambda e: e.n):
            if m.role == "item":  # a list's line already says « modifié par… »
                continue
            for link in m.chunk.amended_by:
                amending = by_key.get(link)
                if amending is None:
                    continue
                a = amending
                _, label, page = a.located()
                _, m_label, _ = m.located()
                if a in cited:  # already quoted above: point to it
                    lines.append(
                        f"⚠ {m_label} a été modifié par le {label} [{a.n}] : c'est la version modifiée qui s'applique."
                    )
                else:
                    lines.append(f"⚠ Disposition modifiée par le {label}{_page(page)} : « {a.quote} » [{a.n}]")
                    cited.append(a)
                dates = french_dates(a.quote)
                if dates:
                    lines.append(f"Date(s) applicable(s) depuis cette modification : {', '.join(dates)}.")
                break
        text, citations = renumber("\n".join(lines), cited, self._index.url)
        return _Body(text, False, citations, verdict.kind if verdict else None)

    def _amended_dates(self, evidence: list[Evidence], numbered: int) -> list[tuple[str, Evidence]]:
        """For a cited provision that carries its own date (« opérationnel au plus tard le 2 août
        2026 », art. 57(1)) and whose amending provision replaces that date: the new date, the
        amending point as evidence, and the sentence saying it prevails over article 113."""
        out: list[tuple[str, Evidence]] = []
        for e in evidence:
            if e.role != "main" or e.chunk.doc_id != "ai-act" or e.chunk.ref.startswith("art-113"):
                continue
            old = dates_in(e.chunk.text)
            if not old:
                continue
            for link in e.chunk.amended_by:
                doc_id, ref = link.split(":", 1)
                a = self._index.chunk_by_key(doc_id, ref)
                new = [d for d in dates_in(a.text) if to_french(d) not in old] if a else []
                if a is None or not new:
                    continue
                at = a.text.find(new[0])
                start, end = widen(a.text, max(0, at - 1), at + len(new[0]), AMEND_QUOTE_CHARS)
                ev = Evidence(numbered + len(out) + 1, a, start, end, "amendment")
                _, label, _ = e.located()
                _, a_label, _ = ev.located()
                line = (
                    f"Date applicable : {to_french(new[0])}, fixée par la disposition elle-même ({label}, "
                    f"tel que modifié par le {a_label}) [{ev.n}] ; elle prime sur la date générale d'application "
                    f"de l'article 113 (le texte initial indiquait le {old[0]})."
                )
                out.append((line, ev))
                break
        return out[:1]

    @staticmethod
    def _date_sentence(question: str, schedule: list[Evidence]) -> str:
        """The date(s) of application, read by code from the governing point of article 113
        (amended wording first: it is the rule in force)."""
        first = schedule[0]
        found: list[str] = []
        for line in date_lines(question, first.chunk.text):
            found += [d for d in dates_in(line) if d not in found]
        shown = [to_french(d) for d in found] or ["voir le texte cité"]
        source = "article 113 tel que modifié par le règlement (UE) 2026/1744" if first.chunk.amends else "article 113"
        return f"Date d'application ({source}) : {' ; '.join(shown)} [{first.n}]."

    def _abstain(self, question: str, result: SearchResult, reason: str | None = None) -> _Body:
        closest = [Closest(h.chunk.doc_id, h.chunk.ref, h.chunk.label, h.chunk.page) for h in result.hits[:3]]
        pointers = "".join(f"\n— {c.label}{_page(c.page)}" for c in closest)
        text = ABSTAIN_TEXT + (f" Motif : {reason}." if reason else "")
        text += " Passages les plus proches, à consulter :" + pointers if closest else ""
        return _Body(text, True, [], None, closest, reason)


# ---------------------------------------------------------------------- helpers


def evidence_preview(evidence: list[Evidence], verdict: Verdict | None) -> str:
    """What is streamed before the model phrases a single-fact answer: the verdict decided by
    code and the best passage's exact words (the final answer carries both)."""
    lines = [verdict.sentence] if verdict else []
    best = next((e for e in evidence if e.role in ("schedule", "main")), None)
    if best is not None:
        _, label, page = best.located()
        lines.append(f"{label}{_page(page)} : « {best.quote} »")
    return "\n".join(lines) + "\n\n" if lines else ""


def item_line(k: int, e: Evidence) -> str:
    """One line of a set answer: « 3. gloss — article 26, paragraphe 5 (note) [n] »."""
    _, label, _ = e.located()
    short = label.removeprefix(AI_ACT_PREFIX)
    head, _, title = short.partition(" : ")
    if title and title[:40] in e.gloss:  # « défi 1 : Promouvoir… »: the gloss already gives the title
        short = head
    note = f" ({e.note})" if e.note else ""
    return f"{k}. {e.gloss} — {short}{note} [{e.n}]"


def model_info(llm: str, index: PassageIndex, prompt: str) -> ModelInfo:
    """What produced a result: the LLM, the embedder and corpus version of the index, the prompt's version."""
    return ModelInfo(
        llm=llm,
        embedder=index.embedder_name,
        corpus_version=index.corpus_version,
        prompt_version=load_prompt(prompt).version,
    )


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


def _page(page: int | None) -> str:
    return f" (p. {page})" if page else ""


def _prompt_passage(e: Evidence, qterms: set[str]) -> str:
    """The passage as the model sees it: only its most relevant sentences (short prompt, fast first token)."""
    start, end = best_window(e.chunk.text, qterms, PROMPT_CHARS)
    body = withhold(e.chunk.text[start:end]).replace("\n", " ")
    tag = " (texte modificatif de 2026, en anglais)" if e.role == "amendment" else ""
    return f"[{e.n}] {e.chunk.label}{tag} : « {body} »"


def quote_window(chunk: Chunk, qterms: set[str], limit: int = QUOTE_CHARS) -> tuple[int, int]:
    """What to quote from a passage: all of it when it is short, else its most relevant
    sentences, never the lead-in alone (a point must be quoted with its own words)."""
    text = chunk.text
    if len(text) <= limit:
        return 0, len(text)
    start, end = best_window(text, qterms, limit)
    own = next((sp for sp in chunk.spans if sp.ref == chunk.ref), None)
    if own is not None and (end <= own.start or start >= own.end):
        start, end = best_window(text[own.start : own.end], qterms, limit)
        start, end = start + own.start, end + own.start
    return widen(text, start, end, limit)


def widen(text: str, start: int, end: int, limit: int) -> tuple[int, int]:
    """Grow a quote by whole sentences, the following ones first (the conditions, list
    items and exceptions that complete a provision come after it), up to `limit`."""
    spans = sentence_spans(text)
    for s, e in spans:
        if s >= end and e - start <= limit:
            end = e
        elif s >= end:
            break
    for s, e in reversed(spans):
        if e <= start and end - s <= limit:
            start = s
        elif e <= start:
            break
    return start, end


def _circular(sentence: str, question: str) -> bool:
    """A sentence that only restates the question (LESSONS.md, 6) is no answer."""
    if sentence.rstrip().endswith("?"):
        return True
    new = terms(sentence) - terms(question)
    return len(new) < 2


def _neutralise(question: str) -> str:
    """The question is data: strip control characters and the quote marks that frame it."""
    q = "".join(ch for ch in question if ch.isprintable() or ch == " ")
    return q.replace("«", '"').replace("»", '"')[:1000]


def _english_terms(question: str) -> set[str]:
    # Dates and figures are the same in both languages; the amending act is in English.
    return set(re.findall(r"\d{4}|\d+", question))


_QUOTED = re.compile(r"(« .*? »)", re.S)


def renumber(text: str, cited: list[Evidence], url: Callable[[str, str], str | None]) -> tuple[str, list[Citation]]:
    """Number citations 1..m in order of first appearance; drop markers of uncited passages."""
    order: list[int] = []
    outside = "".join(part for part in _QUOTED.split(text) if not part.startswith("« "))
    for m in SPACED_MARKER.finditer(outside):
        k = int(m.group(1))
        if k not in order and any(e.n == k for e in cited):
            order.append(k)
    mapping = {old: new for new, old in enumerate(order, 1)}

    def sub(m: re.Match[str]) -> str:
        k = int(m.group(1))
        return f" [{mapping[k]}]" if k in mapping else ""

    # A quote is verbatim: a footnote call inside it (« … données. [3] Cf rapport … ») is not a marker.
    text = "".join(part if part.startswith("« ") else SPACED_MARKER.sub(sub, part) for part in _QUOTED.split(text))
    by_n = {e.n: e for e in cited}
    citations: list[Citation] = []
    for old in order:
        e = by_n[old]
        ref, label, page = e.located()
        citations.append(
            Citation(
                n=mapping[old],
                doc_id=e.chunk.doc_id,
                ref=ref,
                label=label,
                page=page,
                lang=e.chunk.lang,
                quote=e.quote,
                url=url(e.chunk.doc_id, ref),
                amended_by=tuple(e.chunk.amended_by),
            )
        )
    return text, citations
