"""Session pack for trainers: a printable French handout (HTML, and PDF through headless Chromium).

    key passages of the topics (exact quotes) · glossary of the AI Act definitions (art. 3)
    the pack uses · 3–5 worked cases (« cas pratiques ») assessed by `assess` · the quiz, its
    answer key on a separate page · the AI label and the corpus version on every page.

Worked cases are planned uses of the Département, assessed once with the real pipeline and
kept in `<var_dir>/training/cases.jsonl` for reuse; when the model is unavailable they are
assessed by keywords only, and the pack says so.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from assistant.answer.cite import terms
from assistant.answer.compose import quote_window
from assistant.answer.result import AI_LABEL, Assessment
from assistant.assess.fiche import LEVEL_TITLE, fiche_data, html_to_pdf
from assistant.base.errors import AssistantError
from assistant.base.units import Chunk
from assistant.law import AI_ACT as A
from assistant.law import law
from assistant.text.dates import format_date
from assistant.text.norm import fold
from assistant.training.quiz import TOPIC_BY_SLUG, Item
from assistant.training.quizgen import Builder, source_name

# The passages quoted for each topic: law data (the training topic index, assistant/law/training.toml).
KEY_PASSAGES: dict[str, tuple[tuple[str, str], ...]] = {slug: t.key_passages for slug, t in law().training.items()}
PASSAGE_CHARS = 700
MAX_DEFINITIONS = 14
CASES: tuple[dict, ...] = (
    {"id": "tri-candidatures", "title": "Tri automatique des candidatures",
     "topics": ("haut-risque", "obligations-deployeur"),
     "description": "Un logiciel trierait automatiquement les candidatures à nos offres d'emploi et ne transmettrait "
                    "au jury que les meilleurs CV."},
    {"id": "chatbot-usagers", "title": "Agent conversationnel pour les usagers",
     "topics": ("transparence", "charte"),
     "description": "Un agent conversationnel répondrait aux questions des usagers sur les aides sociales, sur le "
                    "site du Département."},
    {"id": "emotions-agents", "title": "Détection du stress des agents par caméra",
     "topics": ("pratiques-interdites",),
     "description": "Une caméra analyserait les expressions du visage des agents d'accueil pour détecter leur stress."},
    {"id": "instruction-apa", "title": "Aide à l'instruction des demandes d'APA",
     "topics": ("haut-risque", "obligations-deployeur", "calendrier"),
     "description": "Un outil d'IA proposerait aux instructeurs un avis sur l'éligibilité des demandeurs à "
                    "l'allocation personnalisée d'autonomie ; l'agent décide."},
    {"id": "images-campagne", "title": "Images générées pour une campagne de communication",
     "topics": ("transparence",),
     "description": "Le service communication utiliserait une IA générative pour créer des images réalistes de "
                    "personnes pour une campagne d'affichage."},
    {"id": "comptes-rendus", "title": "Comptes rendus de réunion résumés par une IA locale",
     "topics": ("souverainete", "frugalite", "charte"),
     "description": "Un petit modèle d'IA hébergé sur les serveurs du Département résumerait les comptes rendus de "
                    "réunions internes des services, sans données personnelles."},
)  # fmt: skip


# ---------------------------------------------------------------------------- cases


def cases_path(settings: object) -> Path:
    return Path(str(getattr(settings, "var_dir", "var"))).expanduser() / "training" / "cases.jsonl"


def pick_cases(topics: Sequence[str], n: int) -> list[dict]:
    """The cases of the topics first, then the others, `n` in all (3 to 5)."""
    n = max(3, min(5, n))
    ranked = sorted(CASES, key=lambda c: -len(set(c["topics"]) & set(topics)))
    return ranked[:n]


def worked_cases(settings: object, topics: Sequence[str], *, n: int = 5, refresh: bool = False,
                 service: CaseAssessor, progress: Callable[[str], None] = lambda _m: None) -> list[dict]:  # fmt: skip
    """Assessed cases, reused from the cache when the corpus has not changed."""
    path = cases_path(settings)
    cache: dict[str, dict] = {}
    if path.is_file() and not refresh:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                cache[row["id"]] = row
            except (ValueError, KeyError, TypeError):
                continue
    out = []
    changed = False
    for case in pick_cases(topics, n):
        row = cache.get(case["id"])
        if row and row.get("description") == case["description"]:
            out.append(row)
            continue
        progress(f"Évaluation du cas « {case['title']} »…")
        result, method = _assess(case["description"], service)
        row = {**case, "topics": list(case["topics"]), "result": result, "method": method,
               "level_title": LEVEL_TITLE.get(result.get("risk_level", ""), result.get("risk_level", ""))}  # fmt: skip
        cache[case["id"]] = row
        out.append(row)
        changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in cache.values()), encoding="utf-8")
        os.replace(tmp, path)
    return out


class CaseAssessor(Protocol):
    """What the worked cases need of the service: the assessment, and its keyword-only fallback."""

    def assess(self, description: str) -> Assessment: ...

    def assess_by_keywords(self, description: str) -> Assessment: ...


class PackSource(CaseAssessor, Protocol):
    """What a session pack needs of the service: the index's passages, quiz items and assessments."""

    @property
    def quiz_builder(self) -> Builder: ...

    def quiz(
        self, topics: Sequence[str], n: int = 10, level: str | None = None, seed: int | str | None = None
    ) -> tuple[list[Item], list[str]]: ...


def _assess(description: str, service: CaseAssessor) -> tuple[dict, str]:
    """The real assessment pipeline (model + index); keyword-only when the model cannot be used."""
    try:
        result = service.assess(description).to_json()
        llm = str(result.get("model", {}).get("llm", ""))
        status = str((result.get("extraction") or {}).get("model", ""))
        if not status.startswith("valide"):
            return result, f"évaluation par mots-clés seulement (lecture par le modèle : {status or 'aucune'})"
        return (
            result,
            f"évaluation complète (faits lus par le modèle {llm} et par mots-clés, niveau décidé par le code)",
        )
    except AssistantError:
        return service.assess_by_keywords(
            description
        ).to_json(), "évaluation par mots-clés seulement (modèle indisponible)"


# ---------------------------------------------------------------------------- passages and glossary


def key_passages(chunks: Sequence[Chunk], topics: Sequence[str]) -> list[dict]:
    by_key = {(c.doc_id, c.ref): c for c in chunks}
    out = []
    for topic in topics:
        for doc_id, ref in KEY_PASSAGES.get(topic, ()):
            c = by_key.get((doc_id, ref))
            if c is None:
                continue
            s, e = quote_window(c, terms(c.title), PASSAGE_CHARS)
            out.append({"topic": topic, "label": c.label, "page": c.page, "lang": c.lang, "quote": c.text[s:e],
                        "cut": e < len(c.text) or s > 0, "amended_by": list(c.amended_by)})  # fmt: skip
    return out


_DEF = re.compile(r"^(\d+)\)\s*«([^»]+)»\s*,?\s*(.*)$", re.S)


def glossary(chunks: Sequence[Chunk], texts: Sequence[str]) -> list[dict]:
    """AI Act art. 3 definitions whose term occurs in the pack's texts (quoted with their source)."""
    corpus = " " + fold(" ".join(texts)) + " "
    found: list[tuple[int, dict]] = []
    for c in chunks:
        if c.doc_id != A or not re.fullmatch(r"art-3-\d+", c.ref):
            continue
        own = next((s for s in c.spans if s.ref == c.ref), None)
        text = c.text[own.start : own.end] if own else c.text
        m = _DEF.match(text.strip())
        if not m:
            continue
        term = m.group(2).strip()
        t = fold(term)
        hits = corpus.count(" " + t) + corpus.count("'" + t)
        if hits:
            found.append((hits, {"term": term, "definition": text.strip(), "label": c.label, "page": c.page,
                                 "hits": hits, "amended_by": list(c.amended_by)}))  # fmt: skip
    found.sort(key=lambda x: -x[0])
    return sorted((d for _, d in found[:MAX_DEFINITIONS]), key=lambda d: fold(d["term"]))


# ---------------------------------------------------------------------------- HTML

_CSS = """
@page { size: A4; margin: 14mm 13mm 18mm; }
* { box-sizing: border-box; }
body { font: 10pt/1.35 system-ui, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #111; margin: 0; }
main { max-width: 184mm; margin: 0 auto; padding: 4mm; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 1.5px solid #123; color: #123; }
h3 { font-size: 11pt; margin: 3mm 0 1mm; }
.label { border: 1.5px solid #8a4b00; background: #fff4e5; color: #4a2800; padding: 2mm 3mm; font-weight: 600; }
blockquote { margin: 1mm 0 3mm; padding: 1mm 3mm; border-left: 3px solid #789; background: #f4f6f8; }
.src { color: #333; font-size: 9pt; }
.case { border: 1px solid #999; padding: 2mm 3mm; margin: 2mm 0; break-inside: avoid; }
.level { font-weight: 700; }
.q { break-inside: avoid; margin: 3mm 0; }
.q ol { list-style: upper-alpha; margin: 1mm 0; }
.page { break-before: page; }
.key li { margin: 1.5mm 0; break-inside: avoid; }
dt { font-weight: 700; margin-top: 2mm; }
dd { margin: 0 0 1mm 4mm; }
/* The footer is repeated on every printed page (fixed), over the space a table footer keeps free. */
.footer { position: fixed; bottom: 0; left: 0; right: 0; height: 9mm; font-size: 7.5pt; color: #333;
  border-top: 1px solid #999; padding: 1mm 0; background: #fff; }
table.layout { border-collapse: collapse; width: 100%; }
table.layout td { padding: 0; }
.footer-space { height: 11mm; }
@media screen { .footer { position: static; height: auto; margin-top: 8mm; } .footer-space { display: none; } }
"""


def _e(text: object) -> str:
    return html.escape(" ".join(str(text or "").split()), quote=True)


def _lang(lang: object) -> str:
    return str(lang) if re.fullmatch(r"[a-z]{2}", str(lang or "")) else "fr"


def _src(label: str, page: object = None, amended: Sequence[str] = ()) -> str:
    p = f", p. {page}" if page else ""
    a = " — modifié par le règlement (UE) 2026/1744" if amended else ""
    return f'<span class="src">{_e(label)}{_e(p)}{_e(a)}</span>'


def pack_html(data: Mapping) -> str:
    """The handout: everything escaped, no external resource (CSP), print CSS (A4)."""
    footer = f"IA — {data['label']} · Version du corpus : {data['corpus_version']} · {data['date']}"
    p = [
        "<!doctype html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>{_e(data['title'])}</title><style>{_CSS}</style></head><body>",
        f'<div class="footer" role="contentinfo">{_e(footer)}</div>',
        '<table class="layout" role="presentation"><tfoot><tr><td><div class="footer-space"></div></td></tr></tfoot>',
        "<tbody><tr><td><main>",
        f"<h1>{_e(data['title'])}</h1>",
        f"<p>Département des Bouches-du-Rhône · {_e(data['date'])} · thèmes : "
        f"{_e(', '.join(TOPIC_BY_SLUG[t].title for t in data['topics']))}</p>",
        f'<p class="label" role="note">IA — {_e(data["label"])} Version du corpus : {_e(data["corpus_version"])}.</p>',
        "<h2>Passages clés</h2>",
    ]
    for topic in data["topics"]:
        rows = [x for x in data["passages"] if x["topic"] == topic]
        if rows:
            p.append(f"<h3>{_e(TOPIC_BY_SLUG[topic].title)}</h3>")
        for x in rows:
            cut = " […]" if x["cut"] else ""
            p.append(f'<blockquote lang="{_lang(x["lang"])}">« {_e(x["quote"])}{cut} »<br>'
                     f"{_src(x['label'], x['page'], x['amended_by'])}</blockquote>")  # fmt: skip
    if data["glossary"]:
        p.append("<h2>Glossaire : définitions du règlement (UE) 2024/1689 (article 3)</h2><dl>")
        for d in data["glossary"]:
            p.append(f"<dt>{_e(d['term'])}</dt><dd>« {_e(d['definition'])} » {_src(d['label'], d['page'])}</dd>")
        p.append("</dl>")
    p.append('<h2 class="page">Cas pratiques</h2>')
    p.append("<p>Projets d'usage évalués par l'assistant. L'évaluation est une aide : la décision revient au référent "
             "IA et au délégué à la protection des données (DPO).</p>")  # fmt: skip
    for c in data["cases"]:
        f = fiche_data(c["result"])
        p.append(f'<div class="case"><h3>{_e(c["title"])}</h3><p>{_e(c["description"])}</p>')
        p.append(f'<p class="level">Niveau de risque : {_e(f["level_title"])}</p>')
        for title, key in (("Fondements", "grounds"), ("Obligations du Département", "obligations"),
                           ("Charte", "charter"), ("Points à clarifier", "to_clarify")):  # fmt: skip
            if f[key]:
                p.append(f"<p><strong>{_e(title)} :</strong></p><ul>"
                         + "".join(f"<li>{_e(x)}</li>" for x in f[key][:4]) + "</ul>")  # fmt: skip
        if f["sources"]:
            p.append(
                '<p class="src">Sources : '
                + " ; ".join(f"[{_e(s['n'])}] {_e(s['label'])}" for s in f["sources"][:6])
                + "</p>"
            )
        p.append(f'<p class="src">{_e(c["method"])}. {_e(f["human_decision"])}</p></div>')
    p.append('<h2 class="page">Quiz</h2>')
    for i, it in enumerate(data["items"], 1):
        p.append(f'<div class="q"><p><strong>{i}.</strong> {_e(it.question)}</p>')
        if it.context:
            p.append(f"<p>{_e(it.context)}</p>")
        p.append("<ol>" + "".join(f"<li>{_e(o)}</li>" for o in it.options) + "</ol></div>")
    p.append('<h2 class="page">Corrigé du quiz</h2><ol class="key">')
    for it in data["items"]:
        c = it.citation
        p.append(f"<li><strong>{'ABCD'[it.answer]}) {_e(it.correct)}</strong> — {_e(it.explanation)}<br>"
                 f'<span lang="{_lang(c.get("lang"))}">« {_e(c["quote"])} »</span> '
                 f"{_src(c['label'], c.get('page'), c.get('amended_by') or [])}</li>")  # fmt: skip
    p.append("</ol>")
    for note in data["notes"]:
        p.append(f'<p class="src">Note : {_e(note)}</p>')
    p.append("</main></td></tr></tbody></table></body></html>")
    return "\n".join(p)


def build_pack(settings: object, topics: Sequence[str], out_dir: Path, *, n: int = 10, n_cases: int = 4,
               level: str | None = None, pdf: bool = True, service: PackSource,
               progress: Callable[[str], None] = lambda _m: None) -> dict:  # fmt: skip
    """Write `dossier-formation.html` (and `.pdf`) in `out_dir`; returns paths and notes."""
    builder = service.quiz_builder
    items, notes = service.quiz(list(topics), n, level, seed="pack")
    cases = worked_cases(settings, topics, n=n_cases, service=service, progress=progress)
    for c in cases:
        if "mots-clés" in c["method"]:
            notes.append(f"Cas « {c['title']} » : {c['method']}.")
    passages = key_passages(builder.chunks, topics)
    texts = [x["quote"] for x in passages] + [it.citation["quote"] + " " + it.question for it in items]
    texts += [str(c["result"].get("answer", "")) for c in cases]
    data = {
        "title": "Dossier de formation : l'IA au Département",
        "label": AI_LABEL,
        "corpus_version": builder.corpus_version or "inconnue",
        "date": format_date(),
        "topics": list(topics),
        "passages": passages,
        "glossary": glossary(builder.chunks, texts),
        "cases": cases,
        "items": items,
        "notes": notes,
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = pack_html(data)
    html_path = out_dir / "dossier-formation.html"
    html_path.write_text(page, encoding="utf-8")
    result: dict = {"html": str(html_path), "pdf": None, "items": len(items), "cases": len(cases),
                    "definitions": len(data["glossary"]), "passages": len(passages), "notes": notes}  # fmt: skip
    if pdf:
        progress("Impression PDF…")
        result["pdf"] = str(html_to_pdf(page, out_dir / "dossier-formation.pdf", fallback="utilisez le dossier HTML"))
    return result


__all__ = ["CASES", "build_pack", "glossary", "key_passages", "pack_html", "source_name", "worked_cases"]
