"""Compare two evaluation runs: metric deltas (overall and per category) and per-question flips.

A run directory holds `report.json` (figures) and `scores.jsonl` (one verdict per line,
with `correct`), as written by `assistant eval run` (or `eval run --only-retrieval`).
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.base.errors import AssistantError
from assistant.evaluation.report import esc, num, page, pct

# (path in report.json, French label, higher is better, kind: share | ms | wh | tokens | count)
METRICS: list[tuple[str, str, bool, str]] = [
    ("answer_correct", "exactitude (répondables)", True, "share"),
    ("abstention_correct", "abstention correcte (hors corpus)", True, "share"),
    ("false_abstention", "abstention à tort", False, "share"),
    ("keywords_ok", "mots-clés présents", True, "share"),
    ("gold_cited", "source attendue citée", True, "share"),
    ("gold_entries_recall", "entrées attendues citées", True, "share"),
    ("citation_precision", "précision des citations", True, "share"),
    ("retrieval.recall@1", "recall@1", True, "share"),
    ("retrieval.recall@5", "recall@5", True, "share"),
    ("retrieval.recall@10", "recall@10", True, "share"),
    ("retrieval.mrr", "MRR", True, "ratio"),
    ("scenarios.risk_accuracy", "niveau de risque exact (scénarios)", True, "share"),
    ("scenarios.complete", "évaluation complète (scénarios)", True, "share"),
    ("labelled", "réponses étiquetées IA", True, "share"),
    ("bad_quotes", "extraits absents du passage", False, "count"),
    ("latency_ms.retrieval_ms.p50", "recherche p50 (ms)", False, "ms"),
    ("latency_ms.ttft_ms.p50", "premier jeton p50 (ms)", False, "ms"),
    ("latency_ms.ttft_ms.p90", "premier jeton p90 (ms)", False, "ms"),
    ("latency_ms.total_ms.p50", "total p50 (ms)", False, "ms"),
    ("latency_ms.total_ms.p90", "total p90 (ms)", False, "ms"),
    ("latency_ms.total_ms.p95", "total p95 (ms)", False, "ms"),
    ("energy.wh_p50", "énergie p50 (Wh)", False, "wh"),
    ("energy.wh_total", "énergie totale (Wh)", False, "wh"),
    ("tokens.prompt.p50", "jetons de prompt p50", False, "tokens"),
    ("tokens.completion.p50", "jetons de réponse p50", False, "tokens"),
]
# A metric is shown only when its population is not empty in at least one run.
GUARDS = {
    "answer_correct": "n_answerable",
    "false_abstention": "n_answerable",
    "keywords_ok": "n_answerable",
    "gold_cited": "n_answerable",
    "gold_entries_recall": "n_answerable",
    "abstention_correct": "n_unanswerable",
    "citation_precision": "checked_citations",
    "scenarios.risk_accuracy": "scenarios.ran",
    "scenarios.complete": "scenarios.ran",
    "retrieval.recall@1": "retrieval.n",
    "retrieval.recall@5": "retrieval.n",
    "retrieval.recall@10": "retrieval.n",
    "retrieval.mrr": "retrieval.n",
}
CATEGORY_METRICS: list[tuple[str, str, bool, str]] = [
    ("correct", "exactitude", True, "share"),
    ("citation_precision", "précision des citations", True, "share"),
    ("recall@5", "recall@5", True, "share"),
    ("total_ms_p50", "total p50 (ms)", False, "ms"),
]
# Differences within these bounds are noise, not a change: exact for scores, relative
# (5 %) for measured quantities.
EPSILON = {"share": 1e-9, "ratio": 1e-9, "count": 0.5, "ms": 50.0, "wh": 1e-4, "tokens": 1.0}
RELATIVE_NOISE = 0.05
RELATIVE_KINDS = {"ms", "wh", "tokens"}


def _get(d: dict, path: str) -> float | None:
    cur: object = d
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return float(cur) if isinstance(cur, (int, float)) and not isinstance(cur, bool) else None


def _load_run(run_dir: Path) -> tuple[dict, dict[str, dict]]:
    report, scores = run_dir / "report.json", run_dir / "scores.jsonl"
    if not report.is_file() or not scores.is_file():
        raise AssistantError(f"{run_dir} n'est pas un dossier de run complet (report.json et scores.jsonl attendus).")
    figures = json.loads(report.read_text(encoding="utf-8"))
    rows = {}
    for line in scores.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows[r["id"]] = r
    return figures, rows


def _delta(name: str, label: str, a: float | None, b: float | None, higher: bool, kind: str) -> dict:
    d = None if a is None or b is None else b - a
    change = "—"
    if d is not None:
        bound = EPSILON[kind]
        if kind in RELATIVE_KINDS:
            bound = max(bound, RELATIVE_NOISE * max(abs(a or 0.0), abs(b or 0.0)))
        change = "stable" if abs(d) <= bound else ("mieux" if (d > 0) == higher else "moins bien")
    return {"metric": name, "label": label, "a": a, "b": b, "delta": d, "kind": kind, "change": change}


def compare_runs(dir_a: Path | str, dir_b: Path | str) -> dict:
    """What changed from run A to run B: metric deltas and questions that flipped."""
    dir_a, dir_b = Path(dir_a), Path(dir_b)
    fa, ra = _load_run(dir_a)
    fb, rb = _load_run(dir_b)

    def shown(path: str) -> bool:
        if _get(fa, path) is None and _get(fb, path) is None:
            return False
        guard = GUARDS.get(path)
        if guard is None or (_get(fa, guard) is None and _get(fb, guard) is None):
            return True
        return bool(_get(fa, guard)) or bool(_get(fb, guard))

    metrics = [
        _delta(path, label, _get(fa, path), _get(fb, path), higher, kind)
        for path, label, higher, kind in METRICS
        if shown(path)
    ]
    categories = {}
    for cat in sorted(set(fa.get("by_category", {})) | set(fb.get("by_category", {}))):
        ca, cb = fa.get("by_category", {}).get(cat, {}), fb.get("by_category", {}).get(cat, {})
        categories[cat] = {
            "n_a": ca.get("evaluated", ca.get("n")),
            "n_b": cb.get("evaluated", cb.get("n")),
            "metrics": [
                _delta(key, label, _get(ca, key), _get(cb, key), higher, kind)
                for key, label, higher, kind in CATEGORY_METRICS
                if _get(ca, key) is not None or _get(cb, key) is not None
            ],
        }
    improved, regressed, unchanged_ko = [], [], 0
    for qid, b in rb.items():
        a = ra.get(qid)
        if a is None or a.get("correct") is None or b.get("correct") is None:
            continue
        item = {
            "id": qid,
            "category": b.get("category", "?"),
            "text": b.get("text", ""),
            "fails_a": a.get("fails", []),
            "fails_b": b.get("fails", []),
        }
        if not a["correct"] and b["correct"]:
            improved.append(item)
        elif a["correct"] and not b["correct"]:
            regressed.append(item)
        elif not b["correct"]:
            unchanged_ko += 1
    return {
        "run_a": str(dir_a),
        "run_b": str(dir_b),
        "title_a": fa.get("title", ""),
        "title_b": fb.get("title", ""),
        "metrics": metrics,
        "categories": categories,
        "improved": improved,
        "regressed": regressed,
        "still_failing": unchanged_ko,
        "only_in_a": sorted(set(ra) - set(rb)),
        "only_in_b": sorted(set(rb) - set(ra)),
        "common": len(set(ra) & set(rb)),
    }


def _fmt(value: float | None, kind: str, signed: bool = False) -> str:
    if value is None:
        return "—"
    sign = "+" if signed and value > 0 else ""
    if kind == "share":
        return pct(value)
    if kind == "ratio":
        return sign + num(value, 3)
    if kind == "wh":
        return sign + num(value, 4)
    return sign + num(value, 0)


def _fmt_delta(m: dict) -> str:
    if m["delta"] is None:
        return "—"
    if m["kind"] == "share":
        return ("+" if m["delta"] > 0 else "") + f"{100 * m['delta']:.1f} pt".replace(".", ",")
    if m["change"] == "stable" and m["kind"] in RELATIVE_KINDS:
        return "≈ 0"
    return _fmt(m["delta"], m["kind"], signed=True)


def render_text(cmp: dict) -> str:
    lines = [
        f"Comparaison : A = {cmp['run_a']}  →  B = {cmp['run_b']}  ({cmp['common']} ligne(s) commune(s))",
        "",
        "Indicateurs :",
    ]
    for m in cmp["metrics"]:
        lines.append(
            f"  {m['label']:<38} {_fmt(m['a'], m['kind']):>12} → {_fmt(m['b'], m['kind']):>12}  "
            f"{_fmt_delta(m):>10}  {m['change']}"
        )
    lines.append("")
    lines.append("Par catégorie (exactitude) :")
    for cat, c in cmp["categories"].items():
        m = next((x for x in c["metrics"] if x["metric"] == "correct"), None)
        if m:
            lines.append(
                f"  {cat:<24} {_fmt(m['a'], 'share'):>9} → {_fmt(m['b'], 'share'):>9}  {_fmt_delta(m):>10}  {m['change']}"
            )
    lines.append("")
    lines.append(f"Améliorées (✗ → ✓) : {len(cmp['improved'])}")
    for x in cmp["improved"]:
        lines.append(f"  + {x['id']} [{x['category']}] {x['text'][:110]}")
    lines.append(f"Dégradées (✓ → ✗) : {len(cmp['regressed'])}")
    for x in cmp["regressed"]:
        why = f" — {'; '.join(x['fails_b'])}" if x["fails_b"] else ""
        lines.append(f"  - {x['id']} [{x['category']}] {x['text'][:110]}{why}")
    lines.append(f"Toujours en échec : {cmp['still_failing']}")
    if cmp["only_in_a"] or cmp["only_in_b"]:
        lines.append(
            f"Lignes présentes dans un seul run : A seul {len(cmp['only_in_a'])}, B seul {len(cmp['only_in_b'])}"
        )
    return "\n".join(lines)


def _change_cell(m: dict) -> str:
    cls = {"mieux": "up", "moins bien": "down"}.get(m["change"], "")
    return f'<td class="num {cls}">{esc(_fmt_delta(m))}</td><td class="{cls}">{esc(m["change"])}</td>'


def render_html(cmp: dict) -> str:
    body = [
        "<h2>Indicateurs</h2><table><thead><tr><th>indicateur</th><th class=num>A</th><th class=num>B</th>"
        "<th class=num>écart</th><th>évolution</th></tr></thead><tbody>"
    ]
    for m in cmp["metrics"]:
        body.append(
            f"<tr><td>{esc(m['label'])}</td><td class=num>{esc(_fmt(m['a'], m['kind']))}</td>"
            f"<td class=num>{esc(_fmt(m['b'], m['kind']))}</td>{_change_cell(m)}</tr>"
        )
    body.append("</tbody></table>")
    for key, title, cls in (("improved", "Améliorées (✗ → ✓)", "up"), ("regressed", "Dégradées (✓ → ✗)", "down")):
        items = cmp[key]
        body.append(f'<h2 class="{cls}">{esc(title)} : {len(items)}</h2>')
        if items:
            rows = "".join(
                f"<tr><td><code>{esc(x['id'])}</code></td><td>{esc(x['category'])}</td><td>{esc(x['text'])}</td>"
                f"<td>{esc('; '.join(x['fails_a']))}</td><td>{esc('; '.join(x['fails_b']))}</td></tr>"
                for x in items
            )
            body.append(
                "<table><thead><tr><th>id</th><th>catégorie</th><th>question / cas d'usage</th>"
                f"<th>échec dans A</th><th>échec dans B</th></tr></thead><tbody>{rows}</tbody></table>"
            )
    body.append(
        f"<p class=meta>Toujours en échec : {cmp['still_failing']} ; lignes présentes dans A seulement : "
        f"{len(cmp['only_in_a'])}, dans B seulement : {len(cmp['only_in_b'])}.</p>"
    )
    # Per category: one row each, one cell per indicator ("A → B" and the change).
    labels = [label for _, label, _, _ in CATEGORY_METRICS]
    head = "".join(f"<th class=num>{esc(label)}</th>" for label in labels)
    body.append(
        f"<h2>Par catégorie</h2><table><thead><tr><th>catégorie</th><th class=num>n (A → B)</th>{head}</tr></thead><tbody>"
    )
    for cat, c in cmp["categories"].items():
        by_label = {m["label"]: m for m in c["metrics"]}
        cells = []
        for label in labels:
            m = by_label.get(label)
            if m is None:
                cells.append("<td class=num>—</td>")
                continue
            cls = {"mieux": "up", "moins bien": "down"}.get(m["change"], "")
            cells.append(
                f"<td class=num>{esc(_fmt(m['a'], m['kind']))} → {esc(_fmt(m['b'], m['kind']))}"
                f'<div class="{cls or "meta"}">{esc(_fmt_delta(m))}</div></td>'
            )
        body.append(f"<tr><td>{esc(cat)}</td><td class=num>{esc(c['n_a'])} → {esc(c['n_b'])}</td>{''.join(cells)}</tr>")
    body.append("</tbody></table>")
    subtitle = [
        f"A : {cmp['run_a']} ({cmp['title_a']})",
        f"B : {cmp['run_b']} ({cmp['title_b']})",
        f"{cmp['common']} ligne(s) commune(s)",
    ]
    return page("Comparaison de deux évaluations", subtitle, "\n".join(body))


def write_compare(cmp: dict, out_dir: Path | str | None = None) -> Path:
    """compare.html (and compare.json) in `out_dir`, by default the second run's directory."""
    out = Path(out_dir or cmp["run_b"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.json").write_text(json.dumps(cmp, ensure_ascii=False, indent=1), encoding="utf-8")
    path = out / "compare.html"
    path.write_text(render_html(cmp), encoding="utf-8")
    return path
