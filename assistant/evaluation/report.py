"""Self-contained HTML reports (French): headline figures, plots, per-question table.

No external asset: the CSS is inline, the plots are inline SVG drawn by matplotlib (Agg
backend), and a Content-Security-Policy forbids loading anything (no script, no remote
image), so the report opens on a closed network and an answer carrying injected HTML
can do nothing. Every text that comes from a response is escaped.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from assistant.base.tuning import SUPPORT_MIN
from assistant.evaluation.records import RECALL_KS, RISK_LABELS_FR, RISK_LEVELS, Record, is_scenario, prompt_of

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
:root { --ok: #1b7f3b; --ko: #b3261e; --muted: #5f6368; --line: #d9dce1; --bg: #f6f7f9; --accent: #1f4e8c; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #1d1d1f;
       background: #fff; line-height: 1.45; font-size: 15px; }
header { background: var(--accent); color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 2px 0; opacity: .92; font-size: 13px; }
main { padding: 8px 32px 40px; max-width: 1400px; }
h2 { font-size: 18px; border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.ailabel { background: #fff4ce; border-left: 4px solid #c99a00; padding: 6px 10px; margin: 6px 0; font-size: 13px; }
.note { background: var(--bg); border-left: 4px solid var(--accent); padding: 8px 12px; margin: 10px 0; font-size: 14px; }
.warn { background: #fdecea; border-left: 4px solid var(--ko); padding: 8px 12px; margin: 10px 0; font-size: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 10px; margin: 12px 0; }
.card { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.card .v { font-size: 24px; font-weight: 650; }
.card .k { font-size: 12.5px; color: var(--muted); }
.card .d { font-size: 12px; color: var(--muted); margin-top: 2px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 5px 7px; vertical-align: top; text-align: left; }
th { background: var(--bg); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.ko td.verdict { color: var(--ko); font-weight: 700; }
tr.ok td.verdict { color: var(--ok); font-weight: 700; }
tr.skip td { color: var(--muted); }
td.verdict { text-align: center; font-size: 16px; }
td.verdict .meta { white-space: normal; font-weight: 400; text-align: left; }
.fails { margin: 0; padding-left: 16px; color: var(--ko); }
.warns { margin: 0; padding-left: 16px; color: var(--muted); font-size: 12.5px; }
.answer { white-space: pre-wrap; background: #fbfbfc; border: 1px solid var(--line); padding: 8px; border-radius: 4px;
          font-size: 13px; max-height: 420px; overflow: auto; }
.cites { margin: 6px 0; padding-left: 20px; font-size: 12.5px; }
.cites .q { color: var(--muted); }
.bad { color: var(--ko); font-weight: 600; }
.meta { color: var(--muted); font-size: 12px; margin: 4px 0; }
.badge { display: inline-block; background: #fff4ce; border: 1px solid #c99a00; border-radius: 10px; padding: 0 7px;
         font-size: 11.5px; color: #6b5200; margin-left: 6px; }
summary { cursor: pointer; color: var(--accent); }
figure { margin: 10px 0 20px; }
figure svg { max-width: 100%; height: auto; }
figure.narrow { max-width: 760px; }
table.questions { table-layout: fixed; }
table.questions td { overflow-wrap: anywhere; }
figcaption { font-size: 12.5px; color: var(--muted); }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 16px; }
.up { color: var(--ok); font-weight: 600; }
.down { color: var(--ko); font-weight: 600; }
@media print { details { display: block; } summary { display: none; } .answer { max-height: none; } }
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page(title: str, subtitle: Iterable[str], body: str) -> str:
    subs = "".join(f"<p>{esc(s)}</p>" for s in subtitle)
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{esc(title)}</h1>{subs}</header>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %".replace(".", ",")


def num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}".replace(",", " ").replace(".", ",")


def card(value: str, key: str, detail: str = "") -> str:
    d = f'<div class="d">{esc(detail)}</div>' if detail else ""
    return f'<div class="card"><div class="v">{esc(value)}</div><div class="k">{esc(key)}</div>{d}</div>'


# --------------------------------------------------------------------------- plots


_svg_counter = 0


def _pyplot():  # matplotlib is optional at import time
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def svg_of(fig: Any) -> str:  # a matplotlib Figure
    """The figure as an inline <svg> element: no XML prologue, DOCTYPE, metadata or namespace URL."""
    global _svg_counter
    _svg_counter += 1
    plt = _pyplot()
    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"fig{_svg_counter}"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    # Element ids (figure_1, patch_1…) repeat from one figure to the next: make them unique in the page.
    prefix = f"fig{_svg_counter}-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'((?:xlink:)?href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _no_plot() -> str:
    return '<p class="warn">Graphique non produit : la bibliothèque matplotlib n\'est pas installée.</p>'


def plot_bars(items: Sequence[tuple[str, float, int]], *, title: str, xlabel: str) -> str:
    """Horizontal bars (label, share 0..1, n), best at the top."""
    plt = _pyplot()
    if plt is None:
        return _no_plot()
    items = sorted(items, key=lambda t: (t[1], t[0]))
    fig, ax = plt.subplots(figsize=(7.2, 0.36 * len(items) + 1.2))
    labels = [f"{c} (n={n})" for c, _, n in items]
    values = [100 * v for _, v, _ in items]
    colors = ["#1b7f3b" if v >= 80 else "#d08c00" if v >= 50 else "#b3261e" for v in values]
    ax.barh(labels, values, color=colors)
    for i, v in enumerate(values):
        ax.text(v + 1, i, f"{v:.0f} %", va="center", fontsize=8.5)
    ax.set_xlim(0, 112)
    ax.set_xticks(range(0, 101, 20))
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    ax.tick_params(axis="y", labelsize=8.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return svg_of(fig)


def plot_latency(total_s: list[float], ttft_s: list[float]) -> str:
    plt = _pyplot()
    if plt is None:
        return _no_plot()
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.2))
    for ax, values, title, color in (
        (axes[0], total_s, "Temps total de réponse", "#1f4e8c"),
        (axes[1], ttft_s, "Temps jusqu'au premier jeton", "#7a4fb3"),
    ):
        if values:
            ax.hist(values, bins=min(30, max(5, len(values) // 4)), color=color, alpha=0.85)
            s = sorted(values)
            for p, style, height in ((50, "-", 0.97), (90, "--", 0.86)):
                v = s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]
                ax.axvline(v, color="#333", linestyle=style, linewidth=1)
                shown = f"{v * 1000:.0f} ms" if v < 1 else f"{v:.1f} s".replace(".", ",")
                ax.text(v, ax.get_ylim()[1] * height, f" p{p} {shown}", fontsize=8, va="top")
        else:
            ax.text(0.5, 0.5, "aucune donnée", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title, fontsize=10.5)
        ax.set_xlabel("secondes")
        ax.set_ylabel("réponses")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    return svg_of(fig)


def plot_confusion(confusion: dict[str, dict[str, int]]) -> str:
    plt = _pyplot()
    if plt is None:
        return _no_plot()
    rows = [g for g in RISK_LEVELS if sum(confusion.get(g, {}).values())]
    cols = [*RISK_LEVELS, *(["autre"] if any(confusion.get(g, {}).get("autre") for g in rows) else [])]
    data = [[confusion[g].get(p, 0) for p in cols] for g in rows]
    fig, ax = plt.subplots(figsize=(1.0 * len(cols) + 2.2, 0.6 * len(rows) + 1.6))
    peak = max((v for row in data for v in row), default=1) or 1
    ax.imshow(data, cmap="Blues", vmin=0, vmax=peak, aspect="auto")
    for i, row in enumerate(data):
        for j, v in enumerate(row):
            if v:
                ax.text(
                    j,
                    i,
                    str(v),
                    ha="center",
                    va="center",
                    fontsize=10,
                    color="white" if v > peak * 0.55 else "#1d1d1f",
                    fontweight="bold" if rows[i] == cols[j] else None,
                )
    ax.set_xticks(range(len(cols)), [RISK_LABELS_FR.get(c, c) for c in cols], rotation=30, ha="right", fontsize=9)
    ax.set_yticks(range(len(rows)), [RISK_LABELS_FR[g] for g in rows], fontsize=9)
    ax.set_xlabel("niveau donné par l'assistant")
    ax.set_ylabel("niveau attendu")
    ax.set_title("Matrice de confusion des niveaux de risque", fontsize=11)
    return svg_of(fig)


# --------------------------------------------------------------------------- answer report


def _run_subtitle(f: dict) -> list[str]:
    m = f.get("models") or {}
    out = [
        f"Généré le {f.get('generated_at', '')} · fichier(s) : {', '.join(Path(p).name for p in f.get('files', []))}"
        + (f" · limité aux {f['limit']} premières lignes" if f.get("limit") else "")
    ]
    if any(m.values()):
        out.append(
            f"Modèle : {', '.join(m.get('llm') or ['?'])} · plongements : {', '.join(m.get('embedder') or ['?'])} "
            f"· corpus : {', '.join(m.get('corpus_version') or ['?'])}"
        )
    return out


def _headline(f: dict) -> str:
    cards = []
    if f["n"]:
        ret = f["retrieval"]
        src = "appel search par question" if ret["source"] == "search" else "rang de la 1re citation attendue"
        cards += [
            card(pct(f["answer_correct"]), "exactitude (questions répondables)", f"n = {f['n_answerable']}"),
            card(pct(f["abstention_correct"]), "abstention correcte (hors corpus)", f"n = {f['n_unanswerable']}"),
            card(pct(f["false_abstention"]), "abstention à tort (répondables)"),
            card(
                pct(f["citation_precision"]), "précision des citations", f"{f['checked_citations']} citations vérifiées"
            ),
            card(
                pct(f["gold_citation_recall"]),
                "source attendue citée",
                f"entrées attendues citées : {pct(f['gold_entries_recall'])}",
            ),
            card(
                pct(ret["recall@5"]), "recall@5 de la recherche", f"{src} ; MRR {num(ret['mrr'], 3)} (n = {ret['n']})"
            ),
        ]
    sets = f.get("sets") or {}
    if sets.get("n"):
        cards.append(
            card(
                pct(sets["coverage_mean"]),
                "couverture des dispositions clés (questions ensemblistes)",
                f"n = {sets['n']} ; abstentions {sets['abstained']} ; longueur p50 {num(sets['answer_chars_p50'], 0)} car.",
            )
        )
    sc = f["scenarios"]
    if sc["ran"]:
        cards.append(
            card(
                pct(sc["risk_accuracy"]),
                "niveau de risque exact (scénarios)",
                f"n = {sc['ran']} ; complet {pct(sc['complete'])}",
            )
        )
    if f["n_responses"]:
        lat, en, tok = f["latency_ms"], f["energy"], f["tokens"]
        cards += [
            card(pct(f["labelled"]), "réponses étiquetées « IA »", f"{f['n_responses']} réponses"),
            card(
                f"{num(lat['total_ms']['p50'] / 1000)} s",
                "temps total médian",
                f"p90 {num(lat['total_ms']['p90'] / 1000)} s · p95 {num(lat['total_ms']['p95'] / 1000)} s",
            ),
            card(
                f"{num(lat['ttft_ms']['p50'] / 1000)} s",
                "premier jeton médian",
                f"p90 {num(lat['ttft_ms']['p90'] / 1000)} s · recherche p50 {num(lat['retrieval_ms']['p50'], 0)} ms",
            ),
            card(
                f"{num(en['wh_p50'], 4)} Wh",
                "énergie médiane par réponse",
                f"p90 {num(en['wh_p90'], 4)} Wh · total {num(en['wh_total'], 3)} Wh",
            ),
            card(
                f"{num(tok['prompt']['p50'], 0)} / {num(tok['completion']['p50'], 0)}",
                "jetons prompt / réponse (médiane)",
                f"total {num(tok['prompt']['total'], 0)} / {num(tok['completion']['total'], 0)}",
            ),
            card(f"{f['bad_quotes']} / {f['citations']}", "extraits absents du passage cité"),
        ]
    return f'<div class="cards">{"".join(cards)}</div>'


def _category_table(f: dict, kind: str) -> str:
    cats = {c: v for c, v in f["by_category"].items() if v["kind"] == kind}
    if not cats:
        return ""
    head: tuple[str, ...]
    rows: list[tuple[object, ...]]
    if kind == "question":
        head = (
            "catégorie",
            "n",
            "exactitude",
            "abstention",
            "mots-clés",
            "source citée",
            "précision citations",
            "recall@5",
            "MRR",
            "total p50 (s)",
            "Wh p50",
        )
        rows = [
            (
                c,
                v["evaluated"],
                pct(v["correct"]),
                pct(v["abstained"]),
                pct(v["keywords_ok"]),
                pct(v["gold_cited"]),
                pct(v["citation_precision"]),
                pct(v["recall@5"]) if v["retrieval_n"] else "—",
                num(v["mrr"], 3) if v["retrieval_n"] else "—",
                num(v["total_ms_p50"] / 1000),
                num(v["wh_p50"], 4),
            )
            for c, v in sorted(cats.items())
        ]
    else:
        head = (
            "service",
            "n",
            "évalués",
            "niveau exact",
            "mots-clés",
            "source citée",
            "précision citations",
            "total p50 (s)",
        )
        rows = [
            (
                c,
                v["n"],
                v["evaluated"],
                pct(v.get("risk_accuracy")) if v["evaluated"] else "—",
                pct(v["keywords_ok"]) if v["evaluated"] else "—",
                pct(v["gold_cited"]) if v["evaluated"] else "—",
                pct(v["citation_precision"]) if v["evaluated"] else "—",
                num(v["total_ms_p50"] / 1000) if v["evaluated"] else "—",
            )
            for c, v in sorted(cats.items())
        ]
    return _table(head, rows)


_NUMERIC = re.compile(r"^[-+≈]?\s?[\d\s.,]+\s?(%|pt|s|ms|Wh)?$|^—$")


def _is_num(v: object) -> bool:
    return isinstance(v, (int, float)) or bool(_NUMERIC.match(str(v)))


def _table(head: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A table whose numeric columns (all values numeric) are right-aligned."""
    rows = [list(r) for r in rows]
    numeric = [i > 0 and bool(rows) and all(_is_num(r[i]) for r in rows) for i in range(len(head))]
    th = "".join(f"<th{' class=num' if numeric[i] else ''}>{esc(h)}</th>" for i, h in enumerate(head))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if numeric[i] else ''}>{esc(v)}</td>" for i, v in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _confusion_table(sc: dict) -> str:
    cols = [*sc["labels"], "autre"]
    head = ["attendu \\ donné", *[RISK_LABELS_FR.get(c, c) for c in cols], "rappel"]
    rows = []
    for g in sc["labels"]:
        row = sc["confusion"][g]
        if not sum(row.values()):
            continue
        rows.append([RISK_LABELS_FR[g], *[row.get(c, 0) for c in cols], pct(sc["per_level"][g]["recall"])])
    return _table(head, rows)


def _citation_items(resp: dict, score: dict | None) -> str:
    unsupported = set((score or {}).get("unsupported") or [])
    items = []
    for c in resp.get("citations") or []:
        if not isinstance(c, dict):
            continue
        page_ = f" (p. {c['page']})" if c.get("page") else ""
        amended = f" — modifié par {', '.join(map(str, c['amended_by']))}" if c.get("amended_by") else ""
        flag = ' <span class="bad">non étayée</span>' if c.get("n") in unsupported else ""
        items.append(
            f"<li>[{esc(c.get('n'))}] {esc(c.get('label') or c.get('ref'))}{esc(page_)}{esc(amended)}"
            f" <code>{esc(c.get('doc_id'))}:{esc(c.get('ref'))}</code>{flag}"
            f'<div class="q">« {esc(c.get("quote", ""))} »</div></li>'
        )
    return f'<ol class="cites">{"".join(items)}</ol>' if items else '<p class="meta">Aucune citation.</p>'


def _assessment_parts(resp: dict) -> str:
    parts = []
    for key, title in (("obligations", "Obligations"), ("charter", "Charte"), ("to_clarify", "À clarifier")):
        items = resp.get(key) or []
        if items:
            lis = "".join(f"<li>{esc(i.get('text') if isinstance(i, dict) else i)}</li>" for i in items)
            parts.append(f"<p class=meta><b>{esc(title)}</b></p><ul class=cites>{lis}</ul>")
    if resp.get("human_decision"):
        hd = resp["human_decision"]
        parts.append(f"<p class=meta><b>Décision humaine :</b> {esc(hd if isinstance(hd, str) else str(hd))}</p>")
    return "".join(parts)


def _answer_cell(rec: Record) -> str:
    try:
        from assistant.answer.result import AI_LABEL
    except ImportError:  # the label is part of the answers' contract; keep the report working regardless
        AI_LABEL = "Réponse générée par une IA — à vérifier ; elle ne constitue pas une décision."  # noqa: N806

    resp = rec.resp or {}
    if rec.status != "ok":
        prefix = "Non évalué : " if rec.status == "skipped" else "Erreur : "
        return f'<span class="meta">{esc(prefix + rec.note)}</span>'
    label = resp.get("label") if resp.get("ai_generated") is True and resp.get("label") else None
    label_html = (
        f'<p class="ailabel">{esc(label)}</p>'
        if label
        else f'<p class="ailabel">⚠ Cette réponse ne portait pas l\'étiquette IA exigée. {esc(AI_LABEL)}</p>'
    )
    n_cites = len(resp.get("citations") or [])
    t = resp.get("timings") or {}
    e = resp.get("energy") or {}
    meta = (
        f"total {num((t.get('total_ms') or 0) / 1000)} s · premier jeton {num((t.get('ttft_ms') or 0) / 1000)} s · "
        f"{num(e.get('wh') or 0, 4)} Wh · modèle {(resp.get('model') or {}).get('llm', '?')}"
    )
    return (
        f'<details><summary>Afficher la réponse · {n_cites} citation(s)</summary><span class="badge">générée par IA</span>'
        f'{label_html}<div class="answer">{esc(resp.get("answer", ""))}</div>{_assessment_parts(resp)}'
        f'{_citation_items(resp, rec.score)}<p class="meta">{esc(meta)}</p></details>'
    )


def _verdict_cell(rec: Record) -> tuple[str, str]:
    if rec.status == "skipped":
        return "skip", "—"
    s = rec.score or {}
    mark = "✓" if s.get("correct") else "✗"
    extra = ""
    if is_scenario(rec.q):
        got = s.get("predicted")
        extra = (
            f'<div class="meta">attendu : {esc(RISK_LABELS_FR[rec.q["risk_level"]])}<br>'
            f"donné : {esc(RISK_LABELS_FR.get(str(got), got or 'aucun'))}</div>"
        )
    return ("ok" if s.get("correct") else "ko"), f"{mark}{extra}"


def _question_rows(records: Sequence[Record]) -> str:
    rows = []
    for rec in records:
        q = rec.q
        cls, verdict = _verdict_cell(rec)
        s = rec.score or {}
        fails = "".join(f"<li>{esc(x)}</li>" for x in s.get("fails", []))
        warns = "".join(f"<li>{esc(x)}</li>" for x in s.get("warnings", []))
        what = (f'<ul class="fails">{fails}</ul>' if fails else "") + (
            f'<ul class="warns">{warns}</ul>' if warns else ""
        )
        if rec.status == "skipped":
            what = '<span class="meta">non évalué</span>'
        kind = "cas d'usage" if is_scenario(q) else ("hors corpus" if not q.get("answerable", True) else "")
        ref_answer = (
            f'<div class="meta">Réponse de référence : {esc(q["reference_answer"])}</div>'
            if q.get("reference_answer")
            else ""
        )
        rows.append(
            f'<tr id="l-{esc(q["id"])}" class="{cls}"><td><code>{esc(q["id"])}</code></td>'
            f"<td>{esc(q.get('category', '?'))}{f'<div class=meta>{esc(kind)}</div>' if kind else ''}</td>"
            f'<td>{esc(prompt_of(q))}{ref_answer}</td><td class="verdict">{verdict}</td><td>{what}</td>'
            f"<td>{_answer_cell(rec)}</td></tr>"
        )
    cols = "".join(f'<col style="width:{w}%">' for w in (5, 9, 27, 8, 21, 30))
    head = "<tr><th>id</th><th>catégorie</th><th>question / cas d'usage</th><th>verdict</th><th>ce qui a échoué</th><th>réponse et citations</th></tr>"
    return f'<table class="questions"><colgroup>{cols}</colgroup><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


METHOD_NOTES = [
    "Le texte est normalisé (minuscules, accents retirés, espaces réduits). Un groupe de mots-clés est satisfait si l'une "
    "de ses variantes figure dans la réponse.",
    "Une source attendue correspond à une citation si le document est le même (ou en est une déclinaison, ex. "
    "ai-act-2026-1744 pour ai-act) et si la référence attendue est absente, identique, ou un préfixe suivi de « - » "
    "(art-5 couvre art-5-1-c, mais pas art-50).",
    "Une question répondable est exacte si tous les groupes de mots-clés sont présents, si une source attendue est citée et "
    "si l'assistant ne s'est pas abstenu ; une question hors corpus est exacte si l'assistant s'est abstenu.",
    "Scénarios : le verdict porte sur le niveau de risque ; « évaluation complète » exige en plus les mots-clés et une "
    "source attendue citée.",
    "Précision des citations : part des citations dont le passage (texte de l'unité citée et son intitulé, tels "
    "qu'indexés) étaye chaque phrase qui porte son renvoi [n], avec le contrôle utilisé pour composer les réponses "
    f"(assistant.answer.cite.is_supported : au moins {pct(SUPPORT_MIN)} des mots pleins de la phrase et tous ses "
    "chiffres doivent figurer dans le passage). Les désignations de "
    "dispositions (article, paragraphe, point, page) sont ignorées : elles situent, elles n'affirment rien. Une citation "
    "qu'aucune phrase ne renvoie compte comme non étayée. Les phrases composées par le code (verdict « figure parmi les "
    "systèmes d'IA à haut risque », avis de modification) passent le même contrôle : leurs mots de liaison absents du "
    "passage peuvent les faire compter comme non étayées.",
    "Recherche : recall@k = part des questions répondables dont une source attendue est au rang ≤ k ; MRR = moyenne de "
    "1/rang. Sans --with-retrieval, le rang est celui de la première citation attendue dans la réponse.",
    "Énergie : mesurée (RAPL) ou estimée selon la méthode indiquée ; elle ne couvre que le processus de l'assistant.",
]


def render_report(figures: dict, records: Sequence[Record]) -> str:
    f = figures
    body = [
        '<p class="ailabel">Les réponses reproduites dans ce rapport ont été générées par une IA à partir des textes de '
        "référence ; elles sont à vérifier et ne constituent pas une décision.</p>"
    ]
    for n in f.get("notes") or []:
        body.append(f'<p class="note">{esc(n)}</p>')
    if f["scenarios"]["skipped"]:
        body.append(
            f'<p class="note">{f["scenarios"]["skipped"]} scénario(s) non évalué(s) : {esc(f["scenarios"]["skipped_reason"])}</p>'
        )
    if f["errors"]:
        ids = ", ".join(e["id"] for e in f["errors"][:30])
        body.append(
            f'<p class="warn">{len(f["errors"])} ligne(s) en erreur, comptées comme échouées ({esc(ids)}). '
            "Relancez avec --resume pour les refaire.</p>"
        )
    body.append("<h2>Chiffres clés</h2>" + _headline(f))

    questions = [r for r in records if not is_scenario(r.q)]
    scenarios = [r for r in records if is_scenario(r.q)]
    q_cats = [
        (c, v["correct"], v["evaluated"])
        for c, v in f["by_category"].items()
        if v["kind"] == "question" and v["evaluated"]
    ]
    s_cats = [
        (c, v.get("risk_accuracy", 0.0), v["evaluated"])
        for c, v in f["by_category"].items()
        if v["kind"] == "scenario" and v["evaluated"]
    ]
    if q_cats or s_cats:
        body.append('<h2>Par catégorie</h2><div class="plots">')
        if q_cats:
            body.append(
                "<figure>"
                + plot_bars(q_cats, title="Exactitude par catégorie de questions", xlabel="réponses exactes (%)")
                + "<figcaption>Part des questions de chaque catégorie jugées exactes.</figcaption></figure>"
            )
        if s_cats:
            body.append(
                "<figure>"
                + plot_bars(s_cats, title="Niveau de risque exact par service", xlabel="scénarios bien classés (%)")
                + "<figcaption>Part des scénarios de chaque service classés au bon niveau.</figcaption></figure>"
            )
        body.append("</div>")
        body.append(_category_table(f, "question") + _category_table(f, "scenario"))

    answered = [r.resp for r in records if r.status == "ok" and r.resp]
    if answered:
        total = [
            (x.get("timings") or {}).get("total_ms", 0) / 1000
            for x in answered
            if (x.get("timings") or {}).get("total_ms") is not None
        ]
        ttft = [
            (x.get("timings") or {}).get("ttft_ms", 0) / 1000
            for x in answered
            if (x.get("timings") or {}).get("ttft_ms") is not None
        ]
        lat = f["latency_ms"]
        body.append(
            "<h2>Latence, énergie, jetons</h2><figure>"
            + plot_latency(total, ttft)
            + "<figcaption>Distribution des temps de réponse (traits : médiane et 90e centile).</figcaption></figure>"
        )
        rows = [
            (name, num(lat[k]["p50"], 0), num(lat[k]["p90"], 0), num(lat[k]["p95"], 0), lat[k]["n"])
            for k, name in (
                ("retrieval_ms", "recherche (ms)"),
                ("ttft_ms", "premier jeton (ms)"),
                ("total_ms", "total (ms)"),
            )
        ]
        tok, en = f["tokens"], f["energy"]
        rows += [
            (f"jetons {name}", num(tok[k]["p50"], 0), num(tok[k]["p90"], 0), num(tok[k]["p95"], 0), tok[k]["n"])
            for k, name in (("prompt", "de prompt"), ("completion", "de réponse"))
        ]
        body.append(_table(("mesure", "p50", "p90", "p95", "n"), rows))
        body.append(
            f'<p class="meta">Énergie : {num(en["wh_p50"], 4)} Wh médiane, {num(en["wh_p90"], 4)} Wh au 90e centile, '
            f"{num(en['wh_total'], 3)} Wh au total ({num(en['co2e_g_total'], 3)} g CO2e) — méthode : {esc(en['method'] or 'non indiquée')}.</p>"
        )

    if scenarios:
        sc = f["scenarios"]
        body.append("<h2>Scénarios : niveaux de risque</h2>")
        if sc["ran"]:
            body.append(
                f'<figure class="narrow">{plot_confusion(sc["confusion"])}<figcaption>Lignes : niveau attendu ; '
                "colonnes : niveau donné par l'assistant.</figcaption></figure>" + _confusion_table(sc)
            )
        else:
            body.append(f'<p class="note">Aucun scénario évalué : {esc(sc["skipped_reason"])}</p>')

    failed = [r for r in records if r.score is not None and not r.score.get("correct")]
    body.append("<h2>Détail par question</h2>")
    if failed:
        links = ", ".join(f'<a href="#l-{esc(r.q["id"])}">{esc(r.q["id"])}</a>' for r in failed)
        body.append(
            f"<details><summary>{len(failed)} échec(s) sur {sum(1 for r in records if r.score is not None)} "
            f"lignes évaluées — afficher la liste</summary><p>{links}</p></details>"
        )
    body.append(_question_rows(questions + scenarios))
    body.append("<h2>Méthode</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in METHOD_NOTES) + "</ul>")
    return page(f.get("title", "Rapport d'évaluation"), _run_subtitle(f), "\n".join(body))


def write_report(out_dir: Path, figures: dict, records: Sequence[Record]) -> Path:
    path = Path(out_dir) / "report.html"
    path.write_text(render_report(figures, records), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- retrieval-only report


def write_retrieval_html(out_dir: Path, figures: dict, scores: Sequence[dict]) -> Path:
    ret = figures["retrieval"]
    cards = [card(pct(ret[f"recall@{k}"]), f"recall@{k}", f"n = {ret['n']}") for k in RECALL_KS]
    cards.append(card(num(ret["mrr"], 3), "MRR"))
    lat = figures["latency_ms"]["search_ms"]
    cards.append(card(f"{num(lat.get('p50'), 0)} ms", "temps de recherche médian", f"p95 {num(lat.get('p95'), 0)} ms"))
    cats = [(c, v["recall@5"], v["n"]) for c, v in figures["by_category"].items()]
    rows = [
        (s["id"], s["category"], s["text"], s["rank"] if s["rank"] else "absent") for s in scores if not s["correct"]
    ]
    body = (
        "<h2>Chiffres clés</h2>"
        + f'<div class="cards">{"".join(cards)}</div>'
        + "<h2>Par catégorie</h2><figure>"
        + plot_bars(cats, title="Recall@5 par catégorie", xlabel="source attendue dans les 5 premiers (%)")
        + "</figure><h2>Questions dont la source attendue n'est pas dans les 5 premiers passages</h2>"
        + _table(("id", "catégorie", "question", "rang de la source attendue"), rows)
    )
    path = Path(out_dir) / "report.html"
    path.write_text(page(figures["title"], _run_subtitle(figures), body), encoding="utf-8")
    return path
