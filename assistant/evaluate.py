"""Evaluation: question sets in, figures out (scoring rules of PRODUCT.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError
from assistant.textnorm import fold


def gold_matches(gold: dict, doc_id: str, ref: str) -> bool:
    """A gold source matches a citation/result (doc prefix rule, ref prefix rule)."""
    gdoc = gold.get("doc", "")
    if not (doc_id == gdoc or doc_id.startswith(gdoc + "-")):
        return False
    gref = gold.get("ref")
    return not gref or ref == gref or ref.startswith(gref + "-")


def keywords_hold(keywords: Iterable[Iterable[str]], answer: str) -> bool:
    text = fold(answer)
    return all(any(fold(alt) in text for alt in group) for group in keywords)


def load_questions(path: Path) -> list[dict]:
    if not path.is_file():
        raise AssistantError(f"Fichier de questions introuvable : {path}.")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except ValueError as exc:
            raise AssistantError(f"{path.name}, ligne {n} : JSON invalide ({exc.msg}). Corrigez la ligne.") from None
        if "id" not in q or not ("question" in q or "description" in q):
            raise AssistantError(f"{path.name}, ligne {n} : champs « id » et « question » (ou « description ») requis.")
        q.setdefault("answerable", True)
        out.append(q)
    return out


def first_gold_rank(gold: list[dict], results: list[dict]) -> int | None:
    for r in results:
        if any(gold_matches(g, r["doc_id"], r["ref"]) for g in gold):
            return int(r["rank"])
    return None


@dataclass
class RetrievalSummary:
    n: int
    recall: dict[int, float]
    mrr: float
    by_category: dict[str, dict[str, float]] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"Questions répondables : {self.n}",
            "  " + "  ".join(f"recall@{k} = {v:.3f}" for k, v in sorted(self.recall.items())) + f"  MRR = {self.mrr:.3f}",
            f"  latence recherche : p50 {self.latency_ms.get('p50', 0):.0f} ms, p95 {self.latency_ms.get('p95', 0):.0f} ms",
            "  par catégorie (recall@5) :",
        ]
        for cat, v in sorted(self.by_category.items()):
            lines.append(f"    {cat:<20} {v['recall@5']:.2f}  (n={int(v['n'])})")
        if self.misses:
            lines.append(f"  absentes du top 5 : {', '.join(self.misses)}")
        return "\n".join(lines)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    i = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[i]


def run_retrieval_eval(
    questions_path: Path, out_dir: Path, *, k: int, settings: object, progress: Callable[[str], None]
) -> RetrievalSummary:
    from assistant.service import Service

    questions = [q for q in load_questions(questions_path) if "question" in q]
    svc = Service(settings)  # type: ignore[arg-type]
    out_dir.mkdir(parents=True, exist_ok=True)
    ranks: list[int | None] = []
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
            cats.setdefault(q.get("category", "?"), []).append(r)
            if r is None or r > 5:
                misses.append(q["id"])
    def rec(rs: list[int | None], kk: int) -> float:
        return sum(1 for r in rs if r is not None and r <= kk) / len(rs) if rs else 0.0

    summary = RetrievalSummary(
        n=len(ranks),
        recall={kk: rec(ranks, kk) for kk in (1, 5, 10)},
        mrr=sum(1 / r for r in ranks if r) / len(ranks) if ranks else 0.0,
        by_category={c: {"recall@5": rec(rs, 5), "n": len(rs)} for c, rs in cats.items()},
        latency_ms={"p50": percentile(lat, 50), "p95": percentile(lat, 95)},
        misses=misses,
    )
    (out_dir / "summary.json").write_text(
        json.dumps({"n": summary.n, "recall": summary.recall, "mrr": summary.mrr, "by_category": summary.by_category,
                    "latency_ms": summary.latency_ms, "misses": misses}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return summary


# --------------------------------------------------------------------------- answers


def score_answer(q: dict, resp: dict) -> dict:
    """PRODUCT.md scoring of one ask response: correct, abstention, gold cited, keywords."""
    abstained = bool(resp.get("abstained"))
    cites = resp.get("citations", [])
    gold_cited = any(gold_matches(g, c["doc_id"], c["ref"]) for g in q.get("gold", []) for c in cites)
    kw = keywords_hold(q.get("keywords", []), resp.get("answer", ""))
    if q.get("answerable", True):
        correct = (not abstained) and kw and (gold_cited or not q.get("gold"))
    else:
        correct = abstained
    return {"correct": correct, "abstained": abstained, "gold_cited": gold_cited, "keywords": kw,
            "labelled": resp.get("ai_generated") is True and bool(resp.get("label"))}


def quote_ok(citation: dict, passage_text: str) -> bool:
    return bool(citation.get("quote")) and citation["quote"] in passage_text


@dataclass
class AnswerSummary:
    figures: dict

    def render(self) -> str:
        f = self.figures
        lines = [
            f"Questions : {f['n']} ({f['n_answerable']} répondables, {f['n_unanswerable']} hors corpus)",
            f"  exactitude (répondables)  : {f['answer_correct']:.3f}   [mots-clés {f['keywords_ok']:.3f}, source attendue citée {f['gold_cited']:.3f}, abstention à tort {f['false_abstention']:.3f}]",
            f"  abstention (hors corpus)  : {f['abstention_correct']:.3f}",
            f"  réponses étiquetées IA    : {f['labelled']:.3f}",
            f"  citations à citation inexacte : {f['bad_quotes']} sur {f['citations']}",
            f"  latence : premier jeton p50 {f['ttft_ms_p50'] / 1000:.1f} s, p90 {f['ttft_ms_p90'] / 1000:.1f} s ; "
            f"total p50 {f['total_ms_p50'] / 1000:.1f} s, p90 {f['total_ms_p90'] / 1000:.1f} s",
            f"  jetons de prompt p50 {f['prompt_tokens_p50']:.0f} ; énergie p50 {f['wh_p50']:.4f} Wh ({f['energy_method']})",
            "  par catégorie (exactitude) :",
        ]
        for cat, v in sorted(f["by_category"].items()):
            lines.append(f"    {cat:<20} {v['correct']:.2f}  (n={v['n']})")
        return "\n".join(lines)


def run_answer_eval(
    questions_path: Path,
    out_dir: Path,
    *,
    settings: object,
    limit: int | None = None,
    resume: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
    service: object | None = None,
) -> AnswerSummary:
    from assistant.service import Service

    questions = [q for q in load_questions(questions_path) if "question" in q]
    if limit:
        questions = questions[:limit]
    svc = service or Service(settings)  # type: ignore[arg-type]
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / "results.jsonl"
    done: dict[str, dict] = {}
    if resume and results_path.is_file():
        for line in results_path.read_text(encoding="utf-8").splitlines():
            try:
                r = json.loads(line)
                done[r["id"]] = r
            except (ValueError, KeyError):
                continue  # a line cut by a crash is simply redone
    mode = "a" if resume else "w"
    t_start = time.perf_counter()
    todo = [q for q in questions if q["id"] not in done]
    with results_path.open(mode, encoding="utf-8") as f:
        for i, q in enumerate(todo, 1):
            resp = svc.ask(q["question"])  # type: ignore[attr-defined]
            line = {"id": q["id"], **resp}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
            f.flush()
            done[q["id"]] = line
            elapsed = time.perf_counter() - t_start
            eta = elapsed / i * (len(todo) - i)
            progress(f"[{i}/{len(todo)}] {q['id']} {'✓' if score_answer(q, resp)['correct'] else '✗'}  ETA {eta / 60:.1f} min")
    passages = _passages(svc)
    rows = []
    for q in questions:
        resp = done.get(q["id"])
        if resp is None:
            continue
        s = score_answer(q, resp)
        s["bad_quotes"] = sum(1 for c in resp.get("citations", []) if not quote_ok(c, passages.get((c["doc_id"], c["ref"]), "")))
        rows.append((q, resp, s))
    figures = _figures(rows)
    (out_dir / "report.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "scores.jsonl").write_text(
        "".join(json.dumps({"id": q["id"], **s}, ensure_ascii=False) + "\n" for q, _, s in rows), encoding="utf-8"
    )
    return AnswerSummary(figures)


def _passages(svc: object) -> dict[tuple[str, str], str]:
    """Text of every cited unit: the chunk with that ref, or the chunk(s) holding it as a span."""
    out: dict[tuple[str, str], str] = {}
    for c in svc.index.chunks:  # type: ignore[attr-defined]
        for key in {(c.doc_id, c.ref), *((c.doc_id, s.ref) for s in c.spans)}:
            out[key] = out.get(key, "") + "\n" + c.text
    return out


def _figures(rows: list[tuple[dict, dict, dict]]) -> dict:
    ans = [(q, r, s) for q, r, s in rows if q.get("answerable", True)]
    una = [(q, r, s) for q, r, s in rows if not q.get("answerable", True)]

    def share(items: list, key: str) -> float:
        return sum(1 for *_, s in items if s[key]) / len(items) if items else 0.0

    def pct(key: str, sub: str, p: float) -> float:
        return percentile([float(r.get(key, {}).get(sub, 0) or 0) for _, r, _ in rows], p)

    cats: dict[str, dict] = {}
    for q, _, s in rows:
        c = cats.setdefault(q.get("category", "?"), {"n": 0, "correct": 0})
        c["n"] += 1
        c["correct"] += int(s["correct"])
    for c in cats.values():
        c["correct"] = c["correct"] / c["n"]
    return {
        "n": len(rows),
        "n_answerable": len(ans),
        "n_unanswerable": len(una),
        "answer_correct": share(ans, "correct"),
        "keywords_ok": share(ans, "keywords"),
        "gold_cited": share(ans, "gold_cited"),
        "false_abstention": share(ans, "abstained"),
        "abstention_correct": share(una, "abstained"),
        "labelled": share(rows, "labelled"),
        "citations": sum(len(r.get("citations", [])) for _, r, _ in rows),
        "bad_quotes": sum(s["bad_quotes"] for *_, s in rows),
        "ttft_ms_p50": pct("timings", "ttft_ms", 50),
        "ttft_ms_p90": pct("timings", "ttft_ms", 90),
        "total_ms_p50": pct("timings", "total_ms", 50),
        "total_ms_p90": pct("timings", "total_ms", 90),
        "prompt_tokens_p50": pct("tokens", "prompt", 50),
        "wh_p50": pct("energy", "wh", 50),
        "wh_p90": pct("energy", "wh", 90),
        "energy_method": (rows[0][1].get("energy", {}).get("method", "") if rows else "").split(" :")[0],
        "by_category": cats,
    }
