"""Evaluation: question sets in, figures out (scoring rules of PRODUCT.md).

    question lines  → service.ask       → correctness, abstention, citations, retrieval
    scenario lines  → service.assess    → risk level (accuracy, confusion matrix)
    every response  → label, latency, energy, tokens, exact quotes, citation support

`run_answer_eval` writes `results.jsonl` (one response per line, with the line's id),
`scores.jsonl` (one verdict per line), `report.json` (figures) and `report.html`.
Runs are resumable: a line is done when `results.jsonl` holds a complete response for it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from assistant.answer.cite import is_supported, is_verbatim, sentence_spans
from assistant.answer.result import Response
from assistant.base.errors import AssistantError
from assistant.evaluation.records import (
    RECALL_KS,
    RISK_LABELS_FR,
    RISK_LEVELS,
    Record,
    is_scenario,
    jsonl_lines,
    prompt_of,
)
from assistant.text.citations import LEADING_MARKERS, MARKER
from assistant.text.norm import fold


class Assistant(Protocol):
    """What a run needs of the service: search, answers, assessments (the CLI passes the Service)."""

    def search(self, query: str, k: int = 5) -> dict: ...

    def ask(self, question: str, *, on_token: Callable[[str], None] | None = None) -> Response: ...

    def assess(self, description: str, *, on_token: Callable[[str], None] | None = None) -> Response: ...


MAX_CONSECUTIVE_ERRORS = 5
SKIPPED_NO_ASSESS = (
    "l'analyse de cas d'usage (« assess ») n'est pas encore disponible dans cette version de l'assistant ; "
    "ces scénarios ne comptent ni comme réussis ni comme échoués."
)


# --------------------------------------------------------------------------- scoring rules


def gold_matches(gold: dict, doc_id: str, ref: str) -> bool:
    """A gold source matches a citation/result (doc prefix rule, ref prefix rule)."""
    gdoc = gold.get("doc", "")
    if not (doc_id == gdoc or doc_id.startswith(gdoc + "-")):
        return False
    gref = gold.get("ref")
    return not gref or ref == gref or ref.startswith(gref + "-")


def missing_keywords(keywords: Iterable[Iterable[str]], answer: str) -> list[list[str]]:
    """The keyword groups none of whose alternatives occurs in the (normalised) answer."""
    text = fold(answer)
    return [list(group) for group in keywords if not any(fold(alt) in text for alt in group)]


def keywords_hold(keywords: Iterable[Iterable[str]], answer: str) -> bool:
    return not missing_keywords(keywords, answer)


def load_questions(path: Path) -> list[dict]:
    out = []
    for n, q in jsonl_lines(path, "questions"):
        if "id" not in q or not ("question" in q or "description" in q):
            raise AssistantError(f"{path.name}, ligne {n} : champs « id » et « question » (ou « description ») requis.")
        if is_scenario(q) and q["risk_level"] not in RISK_LEVELS:
            raise AssistantError(
                f"{path.name}, ligne {n} : niveau de risque « {q['risk_level']} » inconnu "
                f"(attendu : {', '.join(RISK_LEVELS)})."
            )
        q.setdefault("answerable", True)
        out.append(q)
    return out


def load_lines(paths: Path | Sequence[Path]) -> list[dict]:
    """Lines of one or several files, ids unique across them."""
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: list[dict] = []
    seen: dict[str, str] = {}
    for p in files:
        for q in load_questions(Path(p)):
            if q["id"] in seen:
                raise AssistantError(
                    f"Identifiant « {q['id']} » en double ({seen[q['id']]} et {Path(p).name}) : les ids doivent être uniques."
                )
            seen[q["id"]] = Path(p).name
            out.append(q)
    return out


def first_gold_rank(gold: list[dict], results: list[dict]) -> int | None:
    for r in results:
        if any(gold_matches(g, r["doc_id"], r["ref"]) for g in gold):
            return int(r["rank"])
    return None


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    i = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[i]


def score_answer(q: dict, resp: dict) -> dict:
    """PRODUCT.md scoring of one ask response: correct, abstention, gold cited, keywords."""
    abstained = bool(resp.get("abstained"))
    cites = citations_of(resp)
    gold_cited = any(gold_matches(g, c["doc_id"], c["ref"]) for g in q.get("gold", []) for c in cites)
    kw = keywords_hold(q.get("keywords", []), response_text(resp))
    answerable = q.get("answerable", True)
    correct = ((not abstained) and kw and (gold_cited or not q.get("gold"))) if answerable else abstained
    return {
        "correct": correct,
        "abstained": abstained,
        "gold_cited": gold_cited,
        "keywords": kw,
        "labelled": resp.get("ai_generated") is True and bool(resp.get("label")),
    }


def quote_ok(citation: dict, passage_text: str) -> bool:
    """The quote is verbatim: one exact substring, or exact pieces joined by « […] »."""
    return bool(citation.get("quote")) and is_verbatim(citation["quote"], passage_text)


def key_coverage(key: list, cites: list[dict]) -> tuple[float, list[str]]:
    """Share of a set question's key provisions that the answer cites, and the missing ones.

    Each key entry is a gold source {doc, ref} or a list of alternatives (any one counts)."""
    missing = []
    for entry in key:
        alternatives = entry if isinstance(entry, list) else [entry]
        if not any(gold_matches(g, c["doc_id"], c["ref"]) for g in alternatives for c in cites):
            missing.append(" ou ".join(f"{g.get('doc', '')} {g.get('ref', '')}".strip() for g in alternatives))
    return (1 - len(missing) / len(key)) if key else 1.0, missing


# --------------------------------------------------------------------------- response helpers


def citations_of(resp: dict) -> list[dict]:
    """Top-level citations plus any full citation objects nested in an assessment's lists."""
    out = [c for c in resp.get("citations") or [] if isinstance(c, dict) and "doc_id" in c and "ref" in c]
    for key in ("obligations", "charter"):
        for item in resp.get(key) or []:
            if isinstance(item, dict):
                out.extend(
                    c for c in item.get("citations") or [] if isinstance(c, dict) and "doc_id" in c and "ref" in c
                )
    return out


def response_text(resp: dict) -> str:
    """All the words of an answer or an assessment (keywords may appear in any part)."""
    parts = [str(resp.get("answer") or "")]
    for key in ("obligations", "charter", "to_clarify"):
        for item in resp.get(key) or []:
            parts.append(str(item.get("text", "")) if isinstance(item, dict) else str(item))
    hd = resp.get("human_decision")
    if hd:
        parts.append(hd if isinstance(hd, str) else json.dumps(hd, ensure_ascii=False))
    return "\n".join(p for p in parts if p)


_CONTENT = re.compile(r"\w")
# Designations of provisions (article/paragraph/point numbers, act numbers, pages) locate a
# passage; they assert nothing, and a passage does not contain its own number: removed
# before the support check.
_DESIGNATION = re.compile(
    r"\b(?:r[èe]glement|regulation|directive)\s*\((?:ue|eu|ce|ec)\)\s*(?:n[°o]\s*)?\d{2,4}/\d+"
    r"|\b(?:articles?|paragraphes?|points?|sous-points?|annexes?|considérants?|alinéas?|sections?|chapitres?|"
    r"article|paragraph|point|annex|recital)\s+(?:premier|\d+[a-z]{0,2}\)?|[a-z]{1,2}\)|[ivxlc]+\b\)?)(?:\s*[a-z]{1,2}\))?"
    r"|\(?\bp\.\s*\d+\)?",
    re.IGNORECASE,
)


_QUOTED = re.compile(r"« .*? »", re.S)


def attached_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """(sentence without markers or designations, markers attached to it) for each sentence.

    Sentences are split as the answers are (`cite.sentence_spans`). A marker that opens a
    segment (`… mondial. [1] La suite…`) or stands alone after a closing quote (`» [3]`)
    belongs to the sentence before it.
    """
    out: list[tuple[str, list[int]]] = []
    # A footnote call inside a verbatim quote (« … données. [3] Cf rapport … ») is not a marker.
    answer = _QUOTED.sub(lambda m: MARKER.sub("", m.group(0)), answer)
    # Line by line: `sentence_spans` drops a line's tail that has no final punctuation.
    # Designations go first, so that "p. 12" or "point c)" cannot cut a sentence.
    lines = [_DESIGNATION.sub(" ", line) for line in answer.splitlines()]
    segments = [line[s:e] for line in lines for s, e in sentence_spans(line)]
    for seg in segments:
        lead = LEADING_MARKERS.match(seg)
        if lead and out:
            out[-1][1].extend(int(m) for m in MARKER.findall(lead.group(0)))
            seg = seg[lead.end() :]
        markers = [int(m) for m in MARKER.findall(seg)]
        bare = MARKER.sub("", seg).strip()
        if not _CONTENT.search(bare):
            if out:
                out[-1][1].extend(markers)
            continue
        out.append((bare, markers))
    return out


def citation_support(resp: dict, passages: dict[tuple[str, str], str] | None = None) -> dict[int, bool]:
    """For each top-level citation `n`: does its passage support every sentence carrying `[n]`?

    The check is `assistant.answer.cite.is_supported`, the one the answers apply. The
    passage is the indexed unit (its heading and its text, see `_passages`); without an
    index, the citation's quote. Designations are removed from both sides alike. A citation
    no sentence refers to is counted as unsupported.
    """
    cites = {int(c["n"]): c for c in resp.get("citations") or [] if isinstance(c, dict) and "n" in c}
    if not cites:
        return {}
    by_n: dict[int, list[str]] = {n: [] for n in cites}
    for sentence, markers in attached_sentences(str(resp.get("answer") or "")):
        for n in dict.fromkeys(markers):
            if n in by_n:
                by_n[n].append(sentence)
    out = {}
    for n, c in cites.items():
        passage = (passages or {}).get((c.get("doc_id", ""), c.get("ref", ""))) or c.get("quote") or ""
        passage = _DESIGNATION.sub(" ", passage)
        sentences = by_n[n]
        out[n] = bool(sentences) and all(is_supported(s, [passage]) for s in sentences)
    return out


def _cited_rank(gold: list[dict], cites: list[dict]) -> int | None:
    for i, c in enumerate(sorted(cites, key=lambda c: c.get("n", 0)), 1):
        if any(gold_matches(g, c["doc_id"], c["ref"]) for g in gold):
            return i
    return None


def _kw_text(groups: list[list[str]]) -> str:
    return " ; ".join(" / ".join(g) for g in groups)


def score_line(
    q: dict,
    resp: dict,
    passages: dict[tuple[str, str], str] | None = None,
    headed: dict[tuple[str, str], str] | None = None,
) -> dict:
    """Every verdict and diagnostic of one line (question or scenario), with French reasons.

    `passages`: text of each indexed unit (exact-quote check); `headed`: the same with the
    unit's heading (support check); both from `_passages`.
    """
    cites = citations_of(resp)
    gold = q.get("gold") or []
    text = response_text(resp)
    missing = missing_keywords(q.get("keywords") or [], text)
    hits = [any(gold_matches(g, c["doc_id"], c["ref"]) for c in cites) for g in gold]
    abstained = bool(resp.get("abstained"))
    support_by_n = citation_support(resp, headed if headed is not None else passages)
    s: dict = {
        "kind": "scenario" if is_scenario(q) else "question",
        "abstained": abstained,
        "gold_cited": any(hits),
        "gold_entries_cited": (sum(hits) / len(hits)) if hits else None,
        "keywords": not missing,
        "missing_keywords": missing,
        "labelled": resp.get("ai_generated") is True and bool(resp.get("label")),
        "n_citations": len(cites),
        "supported_citations": sum(1 for v in support_by_n.values() if v),
        "checked_citations": len(support_by_n),
        "unsupported": sorted(n for n, v in support_by_n.items() if not v),
        "bad_quotes": 0,
        "cited_rank": _cited_rank(gold, cites) if gold else None,
        "answer_chars": len(str(resp.get("answer") or "")),
        "fails": [],
        "warnings": [],
    }
    if passages is not None:
        s["bad_quotes"] = sum(1 for c in cites if not quote_ok(c, passages.get((c["doc_id"], c["ref"]), "")))
    fails, warns = s["fails"], s["warnings"]
    if q.get("key"):  # a set question: how much of the list the answer cites
        s["coverage"], s["missing_key"] = key_coverage(q["key"], cites)
        if s["missing_key"]:
            warns.append(
                f"couverture {s['coverage']:.2f} ; dispositions clés non citées : {', '.join(s['missing_key'])}"
            )
    if s["kind"] == "question":
        if q.get("answerable", True):
            s["correct"] = (not abstained) and not missing and (s["gold_cited"] or not gold)
            if abstained:
                fails.append("abstention à tort")
            if missing:
                fails.append(f"mots-clés manquants : {_kw_text(missing)}")
            if gold and not s["gold_cited"]:
                fails.append("source attendue non citée")
        else:
            s["correct"] = abstained
            if not abstained:
                fails.append("aurait dû s'abstenir")
    else:
        expected, predicted = q["risk_level"], resp.get("risk_level")
        s.update(expected=expected, predicted=predicted, risk_ok=predicted == expected)
        s["correct"] = s["risk_ok"]
        s["complete"] = s["risk_ok"] and not missing and (s["gold_cited"] or not gold)
        if not s["risk_ok"]:
            got = RISK_LABELS_FR.get(str(predicted), str(predicted) if predicted else "aucun")
            fails.append(f"niveau de risque : attendu {RISK_LABELS_FR[expected]}, obtenu {got}")
        if missing:
            warns.append(f"mots-clés manquants : {_kw_text(missing)}")
        if gold and not s["gold_cited"]:
            warns.append("source attendue non citée")
    if not s["labelled"]:
        warns.append("réponse sans étiquette IA")
    if s["unsupported"]:
        warns.append(f"citation(s) non étayée(s) : {', '.join(f'[{n}]' for n in s['unsupported'])}")
    if s["bad_quotes"]:
        warns.append(f"{s['bad_quotes']} extrait(s) absent(s) du passage cité")
    return s


# --------------------------------------------------------------------------- retrieval only


@dataclass
class RetrievalSummary:
    n: int
    recall: dict[int, float]
    mrr: float
    by_category: dict[str, dict[str, float]] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    ranks: dict[str, int | None] = field(default_factory=dict)

    def render(self) -> str:
        lines = [
            f"Questions répondables : {self.n}",
            "  "
            + "  ".join(f"recall@{k} = {v:.3f}" for k, v in sorted(self.recall.items()))
            + f"  MRR = {self.mrr:.3f}",
            f"  latence recherche : p50 {self.latency_ms.get('p50', 0):.0f} ms, p95 {self.latency_ms.get('p95', 0):.0f} ms",
            "  par catégorie (recall@5) :",
        ]
        for cat, v in sorted(self.by_category.items()):
            lines.append(f"    {cat:<20} {v['recall@5']:.2f}  (n={int(v['n'])})")
        if self.misses:
            lines.append(f"  absentes du top 5 : {', '.join(self.misses)}")
        return "\n".join(lines)


def _recall(ranks: list[int | None], k: int) -> float:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def _mrr(ranks: list[int | None]) -> float:
    return sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0


def run_retrieval_eval(
    questions_path: Path | Sequence[Path],
    out_dir: Path,
    *,
    k: int,
    service: Assistant,
    progress: Callable[[str], None],
    limit: int | None = None,
) -> RetrievalSummary:
    questions = [q for q in load_lines(questions_path) if not is_scenario(q)]
    if limit:
        questions = questions[:limit]
    svc = service
    out_dir.mkdir(parents=True, exist_ok=True)
    ranks: list[int | None] = []
    by_id: dict[str, int | None] = {}
    cats: dict[str, list[int | None]] = {}
    lat: list[float] = []
    misses = []
    with (out_dir / "results.jsonl").open("w", encoding="utf-8") as f:
        for q in questions:
            t0 = time.perf_counter()
            resp = svc.search(q["question"], k=max(k, 10))
            lat.append((time.perf_counter() - t0) * 1000)
            f.write(json.dumps({"id": q["id"], **resp}, ensure_ascii=False) + "\n")
            if not q.get("answerable", True) or not q.get("gold"):
                continue
            r = first_gold_rank(q["gold"], resp["results"])
            ranks.append(r)
            by_id[q["id"]] = r
            cats.setdefault(q.get("category", "?"), []).append(r)
            if r is None or r > 5:
                misses.append(q["id"])
    summary = RetrievalSummary(
        n=len(ranks),
        recall={kk: _recall(ranks, kk) for kk in RECALL_KS},
        mrr=_mrr(ranks),
        by_category={c: {"recall@5": _recall(rs, 5), "n": len(rs)} for c, rs in cats.items()},
        latency_ms={"p50": percentile(lat, 50), "p95": percentile(lat, 95)},
        misses=misses,
        ranks=by_id,
    )
    (out_dir / "summary.json").write_text(
        json.dumps(
            {
                "n": summary.n,
                "recall": summary.recall,
                "mrr": summary.mrr,
                "by_category": summary.by_category,
                "latency_ms": summary.latency_ms,
                "misses": misses,
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    return summary


def write_retrieval_report(
    questions_path: Path | Sequence[Path],
    out_dir: Path,
    summary: RetrievalSummary,
    *,
    title: str | None = None,
    html: bool = True,
) -> dict:
    """report.json / scores.jsonl / report.html of a retrieval-only run (comparable with `eval compare`)."""
    questions = {q["id"]: q for q in load_lines(questions_path) if not is_scenario(q)}
    figures = {
        "mode": "retrieval",
        "title": title or "Évaluation de la recherche",
        "generated_at": datetime.now().isoformat(timespec="seconds"),
        "files": _file_names(questions_path),
        "retrieval": {
            "source": "search",
            "n": summary.n,
            **{f"recall@{kk}": v for kk, v in summary.recall.items()},
            "mrr": summary.mrr,
        },
        "latency_ms": {"search_ms": summary.latency_ms},
        "by_category": {
            c: {"kind": "question", "n": int(v["n"]), "recall@5": v["recall@5"]} for c, v in summary.by_category.items()
        },
    }
    scores = []
    for qid, r in summary.ranks.items():
        q = questions.get(qid, {})
        scores.append(
            {
                "id": qid,
                "kind": "question",
                "category": q.get("category", "?"),
                "text": q.get("question", ""),
                "status": "ok",
                "rank": r,
                "correct": r is not None and r <= 5,
            }
        )
    _write_json(out_dir / "report.json", figures)
    _write_jsonl(out_dir / "scores.jsonl", scores)
    if html:
        from assistant.evaluation.report import write_retrieval_html

        write_retrieval_html(out_dir, figures, scores)
    return figures


# --------------------------------------------------------------------------- answers (+ scenarios)


@dataclass
class AnswerSummary:
    figures: dict
    records: list[Record] = field(default_factory=list)

    def render(self) -> str:
        f = self.figures
        lat, en, tok, ret = f["latency_ms"], f["energy"], f["tokens"], f["retrieval"]
        lines = [f["title"]]
        if f["n"]:
            lines += [
                f"Questions : {f['n']} ({f['n_answerable']} répondables, {f['n_unanswerable']} hors corpus)",
                f"  exactitude (répondables)  : {f['answer_correct']:.3f}   [mots-clés {f['keywords_ok']:.3f}, "
                f"source attendue citée {f['gold_cited']:.3f}, abstention à tort {f['false_abstention']:.3f}]",
                f"  abstention (hors corpus)  : {f['abstention_correct']:.3f}",
                f"  recherche ({'appel search' if ret['source'] == 'search' else 'd’après les citations'}, n={ret['n']}) : "
                + "  ".join(f"recall@{k} {ret[f'recall@{k}']:.3f}" for k in RECALL_KS)
                + f"  MRR {ret['mrr']:.3f}",
                f"  précision des citations   : {f['citation_precision']:.3f}  ; rappel des sources attendues {f['gold_citation_recall']:.3f}",
            ]
            sets = f.get("sets") or {}
            if sets.get("n"):
                lines.append(
                    f"  questions ensemblistes    : {sets['n']} — couverture des dispositions clés {sets['coverage_mean']:.3f}, "
                    f"abstentions {sets['abstained']} ; longueur des réponses p50 {sets['answer_chars_p50']:.0f} car., "
                    f"p90 {sets['answer_chars_p90']:.0f} car."
                )
        sc = f["scenarios"]
        if sc["n"]:
            if sc["ran"]:
                lines.append(
                    f"Scénarios : {sc['ran']} évalués — niveau de risque exact {sc['risk_accuracy']:.3f}, "
                    f"évaluation complète {sc['complete']:.3f}"
                )
            if sc["skipped"]:
                lines.append(f"Scénarios non évalués : {sc['skipped']} ({sc['skipped_reason']})")
        if f["errors"]:
            lines.append(f"Erreurs : {len(f['errors'])} ligne(s) en erreur (relancer avec --resume pour les refaire)")
        if f["n_responses"]:
            lines += [
                f"  réponses étiquetées IA    : {f['labelled']:.3f}",
                f"  extraits inexacts : {f['bad_quotes']} sur {f['citations']} citations",
                f"  latence : recherche p50 {lat['retrieval_ms']['p50']:.0f} ms ; premier jeton p50 {lat['ttft_ms']['p50'] / 1000:.1f} s, "
                f"p90 {lat['ttft_ms']['p90'] / 1000:.1f} s ; total p50 {lat['total_ms']['p50'] / 1000:.1f} s, "
                f"p90 {lat['total_ms']['p90'] / 1000:.1f} s, p95 {lat['total_ms']['p95'] / 1000:.1f} s",
                f"  jetons : prompt p50 {tok['prompt']['p50']:.0f}, réponse p50 {tok['completion']['p50']:.0f} ; "
                f"énergie p50 {en['wh_p50']:.4f} Wh, p90 {en['wh_p90']:.4f} Wh, total {en['wh_total']:.3f} Wh ({en['method'] or 'méthode inconnue'})",
            ]
            for kind, head in (
                ("question", "par catégorie (exactitude)"),
                ("scenario", "par service (niveau de risque exact)"),
            ):
                cats = sorted((c, v) for c, v in f["by_category"].items() if v["kind"] == kind and v.get("evaluated"))
                if cats:
                    lines.append(f"  {head} :")
                    lines += [f"    {c:<22} {v['correct']:.2f}  (n={v['evaluated']})" for c, v in cats]
        return "\n".join(lines)


def _read_done(results_path: Path, wanted: set[str]) -> tuple[dict[str, dict], list[str]]:
    """Complete lines of an earlier run (a line cut by a crash is not complete)."""
    done: dict[str, dict] = {}
    kept: list[str] = []
    if not results_path.is_file():
        return done, kept
    for raw in results_path.read_text(encoding="utf-8").splitlines():
        try:
            r = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(r, dict) or "id" not in r:
            continue
        if r["id"] in done:
            continue  # first complete response wins
        if r["id"] in wanted:
            done[r["id"]] = r
        kept.append(json.dumps(r, ensure_ascii=False))
    return done, kept


def run_answer_eval(
    questions_path: Path | Sequence[Path],
    out_dir: Path,
    *,
    service: Assistant,
    limit: int | None = None,
    resume: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
    with_retrieval: bool = False,
    k: int = 10,
    show_bar: bool = True,
    title: str | None = None,
    notes: Sequence[str] = (),
    html: bool = True,
) -> AnswerSummary:
    """Send every line to the assistant, score it, write results/scores/report.

    `--resume`: lines with a complete response in `results.jsonl` are kept, the others
    (never reached, cut by a crash, in error, skipped) are redone; the file is first
    rewritten without its broken lines, so nothing is duplicated.
    """
    lines = load_lines(questions_path)
    if limit:
        lines = lines[:limit]
    svc = service
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    done: dict[str, dict] = {}
    if resume:
        done, kept = _read_done(results_path, {q["id"] for q in lines})
        tmp = results_path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(x + "\n" for x in kept), encoding="utf-8")
        os.replace(tmp, results_path)
        if done:
            progress(
                f"Reprise : {len(done)} ligne(s) déjà faite(s) dans {results_path}, {len(lines) - len(done)} à faire."
            )
    can_assess = callable(getattr(svc, "assess", None))
    records = {q["id"]: Record(q, done.get(q["id"]), status="ok" if q["id"] in done else "pending") for q in lines}
    todo = [q for q in lines if q["id"] not in done]
    started = datetime.now().isoformat(timespec="seconds")
    bar = _progress_bar(len(todo), show_bar)
    n_ok = n_run = consecutive_errors = 0
    try:
        with results_path.open("a" if resume else "w", encoding="utf-8") as f:
            for q in todo:
                rec = records[q["id"]]
                if is_scenario(q) and not can_assess:
                    rec.status, rec.note = "skipped", SKIPPED_NO_ASSESS
                    bar.update(1)
                    continue
                try:
                    retrieval = None
                    if with_retrieval:
                        sr = svc.search(prompt_of(q), k=max(k, 10))
                        retrieval = {
                            "results": [
                                {x: r.get(x) for x in ("rank", "doc_id", "ref", "score")} for r in sr["results"]
                            ],
                            "timings": sr.get("timings", {}),
                        }
                    call = svc.assess if is_scenario(q) else svc.ask
                    resp = call(prompt_of(q)).to_json()
                except Exception as exc:  # one failing line must not stop a two-hour run
                    consecutive_errors += 1
                    rec.status, rec.note = "error", f"{type(exc).__name__} : {exc}"
                    bar.update(1)
                    if consecutive_errors >= MAX_CONSECUTIVE_ERRORS:
                        raise AssistantError(
                            f"{consecutive_errors} erreurs de suite (dernière : {rec.note}). Run arrêté ; "
                            f"corrigez la cause puis relancez avec --resume (les lignes faites sont gardées)."
                        ) from exc
                    continue
                consecutive_errors = 0
                line = {"id": q["id"], **resp}
                if retrieval is not None:
                    line["retrieval"] = retrieval
                f.write(json.dumps(line, ensure_ascii=False) + "\n")
                f.flush()
                rec.resp, rec.status = line, "ok"
                n_run += 1
                ok = score_line(q, line)["correct"]
                n_ok += int(ok)
                bar.set_postfix_str(f"{q['id']} {'✓' if ok else '✗'} · exactitude {n_ok / n_run:.2f}", refresh=False)
                bar.update(1)
    finally:
        bar.close()
    skipped = sum(1 for r in records.values() if r.status == "skipped")
    if skipped:
        progress(f"{skipped} scénario(s) non évalué(s) : {SKIPPED_NO_ASSESS}")
    texts, heads = _passages(svc)
    # No index to check against (hand-made service): skip the exact-quote check.
    passages, headed = (texts, heads) if texts else (None, None)
    for rec in records.values():
        if rec.status == "ok" and rec.resp is not None:
            rec.score = score_line(rec.q, rec.resp, passages, headed)
        elif rec.status == "error":
            rec.score = score_line(rec.q, {})
            rec.score["fails"], rec.score["warnings"] = [f"erreur : {rec.note}"], []
    ordered = [records[q["id"]] for q in lines]
    figures = compute_figures(ordered, with_retrieval=with_retrieval)
    figures.update(
        title=title or "Évaluation de l'assistant IA-réglementation",
        generated_at=datetime.now().isoformat(timespec="seconds"),
        started_at=started,
        files=_file_names(questions_path),
        limit=limit,
        notes=list(notes),
    )
    _write_json(out_dir / "report.json", figures)
    _write_jsonl(out_dir / "scores.jsonl", [score_row(r) for r in ordered])
    if html:
        from assistant.evaluation.report import write_report

        write_report(out_dir, figures, ordered)
    return AnswerSummary(figures, ordered)


class _NoBar:
    def update(self, _n: int = 1) -> None: ...

    def set_postfix_str(self, _s: str, refresh: bool = True) -> None: ...

    def close(self) -> None: ...


def _progress_bar(total: int, show: bool) -> Any:  # a tqdm bar, or _NoBar
    if not show or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="Évaluation", unit="ligne", file=sys.stderr, dynamic_ncols=True, mininterval=0.5)


def _file_names(paths: Path | Sequence[Path]) -> list[str]:
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    return [str(p) for p in files]


def _write_json(path: Path, obj: object) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, path)


def score_row(rec: Record) -> dict:
    """The line of scores.jsonl (what `eval compare` reads)."""
    q = rec.q
    row = {
        "id": q["id"],
        "kind": "scenario" if is_scenario(q) else "question",
        "category": q.get("category", "?"),
        "text": prompt_of(q),
        "status": rec.status,
    }
    if rec.score is not None:
        row.update({k: v for k, v in rec.score.items() if k != "kind"})
    else:
        row["correct"] = None
        row["note"] = rec.note
    return row


def _passages(svc: object) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """Text of every citable unit (the chunk with that ref, or the chunk(s) holding it as a span),
    and the same preceded by the chunk's heading context (e.g. « annexe III — Systèmes d'IA à
    haut risque »), which is part of the passage as retrieved."""
    text: dict[tuple[str, str], str] = {}
    headed: dict[tuple[str, str], str] = {}
    index = getattr(svc, "index", None)
    for c in getattr(index, "chunks", None) or []:
        for key in {(c.doc_id, c.ref), *((c.doc_id, s.ref) for s in c.spans)}:
            text[key] = text.get(key, "") + "\n" + c.text
            headed[key] = headed.get(key, "") + "\n" + (c.context or "") + "\n" + c.text
    return text, headed


# --------------------------------------------------------------------------- figures


def _share(items: list[dict], key: str) -> float:
    return sum(1 for s in items if s.get(key)) / len(items) if items else 0.0


def _pcts(values: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p95": percentile(values, 95),
        "n": len(values),
    }


def _num(resp: dict, key: str, sub: str) -> float | None:
    v = (resp.get(key) or {}).get(sub)
    return float(v) if isinstance(v, (int, float)) else None


def _retrieval_ranks(recs: list[Record], with_retrieval: bool) -> list[int | None]:
    ranks = []
    for r in recs:
        if r.status != "ok" or not r.q.get("answerable", True) or not r.q.get("gold") or r.resp is None:
            continue
        if with_retrieval:
            res = (r.resp.get("retrieval") or {}).get("results")
            if res is None:
                continue  # done by an earlier run without --with-retrieval
            ranks.append(first_gold_rank(r.q["gold"], res))
        else:
            ranks.append(r.score["cited_rank"] if r.score else None)
    return ranks


def _retrieval_figures(recs: list[Record], with_retrieval: bool) -> dict:
    ranks = _retrieval_ranks(recs, with_retrieval)
    return {
        "source": "search" if with_retrieval else "citations",
        "n": len(ranks),
        **{f"recall@{k}": _recall(ranks, k) for k in RECALL_KS},
        "mrr": _mrr(ranks),
    }


def _question_figures(recs: list[Record]) -> dict:
    scored = [r.score for r in recs if r.score is not None]
    ans = [s for r, s in ((r, r.score) for r in recs) if s is not None and r.q.get("answerable", True)]
    una = [s for r, s in ((r, r.score) for r in recs) if s is not None and not r.q.get("answerable", True)]
    with_gold = [
        s for r, s in ((r, r.score) for r in recs) if s is not None and r.q.get("answerable", True) and r.q.get("gold")
    ]
    entries = [s["gold_entries_cited"] for s in with_gold if s.get("gold_entries_cited") is not None]
    checked = sum(s["checked_citations"] for s in scored)
    return {
        "n": len(scored),
        "n_answerable": len(ans),
        "n_unanswerable": len(una),
        "answer_correct": _share(ans, "correct"),
        "keywords_ok": _share(ans, "keywords"),
        "gold_cited": _share(with_gold, "gold_cited"),
        "false_abstention": _share(ans, "abstained"),
        "abstention_correct": _share(una, "abstained"),
        "correct": _share(scored, "correct"),
        "citation_precision": (sum(s["supported_citations"] for s in scored) / checked) if checked else 0.0,
        "checked_citations": checked,
        "gold_citation_recall": _share(with_gold, "gold_cited"),
        "gold_entries_recall": sum(entries) / len(entries) if entries else 0.0,
        "sets": _set_figures(recs),
    }


def _set_figures(recs: list[Record]) -> dict:
    """Set questions (lines with `key`): mean coverage of the key provisions, abstentions, answer length."""
    scored = [s for r in recs if r.score is not None and r.q.get("key") for s in [r.score]]
    chars = [float(s["answer_chars"]) for s in scored]
    return {
        "n": len(scored),
        "coverage_mean": sum(s["coverage"] for s in scored) / len(scored) if scored else 0.0,
        "abstained": sum(1 for s in scored if s["abstained"]),
        "answer_chars_p50": percentile(chars, 50),
        "answer_chars_p90": percentile(chars, 90),
    }


def _scenario_figures(recs: list[Record]) -> dict:
    ran = [r for r in recs if r.status in ("ok", "error") and r.score is not None]
    scores = [x for r in ran if (x := r.score) is not None]
    confusion = {g: dict.fromkeys((*RISK_LEVELS, "autre"), 0) for g in RISK_LEVELS}
    for r in ran:
        pred = (r.score or {}).get("predicted")
        confusion[r.q["risk_level"]][pred if pred in RISK_LEVELS else "autre"] += 1
    per_level = {}
    for lvl in RISK_LEVELS:
        row = confusion[lvl]
        n = sum(row.values())
        predicted_as = sum(confusion[g][lvl] for g in RISK_LEVELS)
        per_level[lvl] = {
            "n": n,
            "recall": row[lvl] / n if n else 0.0,
            "precision": row[lvl] / predicted_as if predicted_as else 0.0,
        }
    skipped = [r for r in recs if r.status == "skipped"]
    return {
        "n": len(recs),
        "ran": len(ran),
        "skipped": len(skipped),
        "skipped_reason": skipped[0].note if skipped else "",
        "risk_accuracy": _share(scores, "risk_ok"),
        "complete": _share(scores, "complete"),
        "keywords_ok": _share(scores, "keywords"),
        "gold_cited": _share(scores, "gold_cited"),
        "labels": list(RISK_LEVELS),
        "confusion": confusion,
        "per_level": per_level,
    }


def compute_figures(records: list[Record], *, with_retrieval: bool = False) -> dict:
    """All figures of report.json, overall and per category."""
    questions = [r for r in records if not is_scenario(r.q)]
    scenarios = [r for r in records if is_scenario(r.q)]
    answered = [r for r in records if r.status == "ok" and r.resp is not None and r.score is not None]
    resp = [x for r in answered if (x := r.resp) is not None]

    lat = {}
    for key in ("retrieval_ms", "ttft_ms", "total_ms"):
        lat[key] = _pcts([v for x in resp if (v := _num(x, "timings", key)) is not None])
    wh = [v for x in resp if (v := _num(x, "energy", "wh")) is not None]
    co2 = [v for x in resp if (v := _num(x, "energy", "co2e_g")) is not None]
    methods = sorted({str((x.get("energy") or {}).get("method", "")).split(" :")[0] for x in resp} - {""})
    tokens = {}
    for key in ("prompt", "completion"):
        vals = [v for x in resp if (v := _num(x, "tokens", key)) is not None]
        tokens[key] = {**_pcts(vals), "total": sum(vals), "mean": sum(vals) / len(vals) if vals else 0.0}
    all_scores = [x for r in answered if (x := r.score) is not None]

    figures = {
        "mode": "answers",
        **_question_figures(questions),
        "retrieval": _retrieval_figures(questions, with_retrieval),
        "scenarios": _scenario_figures(scenarios),
        "n_lines": len(records),
        "n_responses": len(answered),
        "labelled": _share(all_scores, "labelled"),
        "citations": sum(s["n_citations"] for s in all_scores),
        "bad_quotes": sum(s["bad_quotes"] for s in all_scores),
        "latency_ms": lat,
        "energy": {
            "wh_p50": percentile(wh, 50),
            "wh_p90": percentile(wh, 90),
            "wh_total": sum(wh),
            "wh_mean": sum(wh) / len(wh) if wh else 0.0,
            "co2e_g_total": sum(co2),
            "method": " + ".join(methods),
        },
        "tokens": tokens,
        "models": _models(resp),
        "errors": [{"id": r.q["id"], "error": r.note} for r in records if r.status == "error"],
        "skipped": [{"id": r.q["id"], "reason": r.note} for r in records if r.status == "skipped"],
        "by_category": _by_category(records, with_retrieval),
    }
    # Flat keys kept from the first version of the report (read by older tools).
    figures.update(
        ttft_ms_p50=lat["ttft_ms"]["p50"],
        ttft_ms_p90=lat["ttft_ms"]["p90"],
        total_ms_p50=lat["total_ms"]["p50"],
        total_ms_p90=lat["total_ms"]["p90"],
        prompt_tokens_p50=tokens["prompt"]["p50"],
        wh_p50=figures["energy"]["wh_p50"],
        wh_p90=figures["energy"]["wh_p90"],
        energy_method=figures["energy"]["method"],
    )
    return figures


def _models(resps: list[dict]) -> dict:
    seen: dict[str, list[str]] = {"llm": [], "embedder": [], "corpus_version": []}
    for x in resps:
        m = x.get("model") or {}
        for key in seen:
            v = m.get(key)
            if v and v not in seen[key]:
                seen[key].append(str(v))
    return seen


def _by_category(records: list[Record], with_retrieval: bool) -> dict[str, dict]:
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(r.q.get("category", "?"), []).append(r)
    out = {}
    for cat, recs in groups.items():
        kind = "scenario" if all(is_scenario(r.q) for r in recs) else "question"
        scored = [r.score for r in recs if r.score is not None]
        answered = [r for r in recs if r.status == "ok" and r.resp is not None]
        checked = sum(s["checked_citations"] for s in scored)
        ret = _retrieval_figures([r for r in recs if not is_scenario(r.q)], with_retrieval)
        out[cat] = {
            "kind": kind,
            "n": len(recs),
            "evaluated": len(scored),
            "skipped": sum(1 for r in recs if r.status == "skipped"),
            "correct": _share(scored, "correct"),
            "abstained": _share(scored, "abstained"),
            # None when no line of the category has keywords (e.g. the external benchmark)
            "keywords_ok": _share(scored, "keywords") if any(r.q.get("keywords") for r in recs) else None,
            "gold_cited": _share(
                [s for r, s in ((r, r.score) for r in recs) if s is not None and r.q.get("gold")], "gold_cited"
            ),
            "citation_precision": (sum(s["supported_citations"] for s in scored) / checked) if checked else 0.0,
            "recall@5": ret["recall@5"],
            "mrr": ret["mrr"],
            "retrieval_n": ret["n"],
            "total_ms_p50": percentile(
                [v for r in answered if (v := _num(r.resp or {}, "timings", "total_ms")) is not None], 50
            ),
            "wh_p50": percentile([v for r in answered if (v := _num(r.resp or {}, "energy", "wh")) is not None], 50),
        }
        if kind == "scenario":
            out[cat]["risk_accuracy"] = _share(scored, "risk_ok")
    return out


def _figures(rows: list[tuple[dict, dict, dict]]) -> dict:
    """Figures of (question, response, score) triples (kept for callers of the first version)."""
    return compute_figures([Record(q, r, score_line(q, r)) for q, r, _ in rows])
