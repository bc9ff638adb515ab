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
