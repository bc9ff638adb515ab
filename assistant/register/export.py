"""The published register (French HTML page, CSV, JSON) and the fiche of an entry (HTML, PDF).

Only decided and approved uses are published (in service, or withdrawn after approval), and of each
only its public view (`Entry.public()`: PUBLIC_FIELDS, free text redacted by ops/redact.py, no
pseudonym). The CSV and JSON follow the field names of the Algorithm Register Metadata Standard
(the Dutch « Algoritmeregister » standard, standaard.algoritmeregister.org, on which Amsterdam's
register and the Eurocities Algorithmic Transparency Standard build): `name`, `organization`,
`department`, `area`, `description_short`, `status`, `risk_category`; fields that standard does not
have (the AI Act level in French, the obligations and their status, the charter items, the human
decision) carry the prefix `cd13_`. Every value is escaped for its format: HTML entities in the
page, a leading apostrophe before a CSV cell that a spreadsheet would read as a formula.
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assistant.assess import fiche
from assistant.register.entry import DECISIONS, OBLIGATION_STATUS, Entry
from assistant.register.lifecycle import APPROVED
from assistant.text.dates import format_date

STANDARD = "Algorithm Register Metadata Standard (standaard.algoritmeregister.org), champs de base ; extension cd13_"
ORGANIZATION = fiche.ORGANISATION
AREA = "Bouches-du-Rhône"
TITLE = "Registre des usages de l'intelligence artificielle"
# status of that standard, from the entry's state
STATUS = {"decided": "in development", "in_service": "in use", "withdrawn": "out of use"}
SHORT_CHARS = 150  # description_short: at most 150 characters in the standard
COLUMNS = (
    "name",
    "organization",
    "department",
    "area",
    "description_short",
    "status",
    "risk_category",
    "cd13_id",
    "cd13_version",
    "cd13_description",
    "cd13_level",
    "cd13_decision",
    "cd13_decision_reasons",
    "cd13_decision_date",
    "cd13_decided_by",
    "cd13_obligations",
    "cd13_charter",
    "cd13_contact_role",
    "cd13_updated",
    "cd13_corpus_version",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def published(entries: Iterable[Entry]) -> list[Entry]:
    """The entries the public register shows: approved by a person, in service or withdrawn since."""
    return [
        e
        for e in entries
        if e.decision is not None
        and e.decision.outcome in APPROVED
        and e.state in ("decided", "in_service", "withdrawn")
    ]


def _short(text: str) -> str:
    t = " ".join(text.split())
    return t if len(t) <= SHORT_CHARS else t[: SHORT_CHARS - 2].rsplit(" ", 1)[0] + " …"


def record(entry: Entry) -> dict[str, Any]:
    """One entry in the columns above, from its public view only."""
    p = entry.public()
    dec = p.get("decision") or {}
    return {
        "name": p["title"],
        "organization": ORGANIZATION,
        "department": p["service"],
        "area": AREA,
        "description_short": _short(p["description"]),
        "status": STATUS.get(p["state"], p["state"]),
        "risk_category": p["level"],
        "cd13_id": p["id"],
        "cd13_version": p["version"],
        "cd13_description": p["description"],
        "cd13_level": p["level_title"],
        "cd13_decision": dec.get("outcome_label", ""),
        "cd13_decision_reasons": dec.get("reasons", ""),
        "cd13_decision_date": (dec.get("on") or "")[:10],
        "cd13_decided_by": dec.get("by_role", ""),
        "cd13_obligations": [{"text": o["text"], "status": o["status_label"]} for o in p["obligations"]],
        "cd13_charter": list(p["charter"]),
        "cd13_contact_role": p["contact_role"],
        "cd13_updated": p["updated"][:10],
        "cd13_corpus_version": p["corpus_version"],
    }


def to_json(entries: Iterable[Entry], *, generated: str = "") -> str:
    rows = [record(e) for e in published(entries)]
    doc = {
        "standard": STANDARD,
        "organization": ORGANIZATION,
        "generated": generated,
        "count": len(rows),
        "algorithms": rows,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def csv_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text: lists joined, a formula-like start neutralised."""
    if isinstance(value, list):
        value = " ; ".join(f"{v['text']} ({v['status']})" if isinstance(v, dict) else str(v) for v in value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(entries: Iterable[Entry]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for e in published(entries):
        r = record(e)
        w.writerow([csv_cell(r[c]) for c in COLUMNS])
    return buf.getvalue()


def _e(value: object) -> str:
    return html.escape(" ".join(str(value or "").split()), quote=True)


_CSS = """
body { font: 11pt/1.4 system-ui, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #111; margin: 0; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
article { border: 1px solid #999; border-radius: 4px; padding: .6rem .9rem; margin: .8rem 0; }
h2 { font-size: 1.1rem; margin: .2rem 0; }
dl { display: grid; grid-template-columns: 13rem 1fr; gap: .2rem .8rem; margin: .4rem 0; }
dt { font-weight: 600; }
dd { margin: 0; }
.note { border-left: 4px solid #123; background: #eef2f7; padding: .4rem .7rem; }
"""


def to_html(entries: Iterable[Entry], *, on: datetime.date | None = None) -> str:
    """The public register as a self-contained French page (no script, no external resource)."""
    shown = published(entries)
    parts = [
        "<!doctype html>",
        '<html lang="fr"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TITLE)} — {_e(ORGANIZATION)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{_e(TITLE)}</h1>",
        f"<p>{_e(ORGANIZATION)} · registre publié le {_e(format_date(on))} · {len(shown)} usage(s)</p>",
        "<p class=\"note\">Le Département publie ici les usages de l'intelligence artificielle qu'il a décidé de "
        "mettre en œuvre (charte IA, défi 2 : expliquer et rendre compte). Le niveau de risque et les obligations "
        "sont proposés par l'assistant à partir du règlement (UE) 2024/1689 ; chaque usage a été décidé par le "
        "référent IA ou le délégué à la protection des données.</p>",
    ]
    for e in shown:
        p = e.public()
        dec = p.get("decision") or {}
        rows = [
            ("Service", p["service"] or "—"),
            ("Contact", p["contact_role"] or "—"),
            ("État", p["state_label"]),
            ("Niveau de risque (RIA)", p["level_title"]),
            (
                "Décision",
                f"{dec.get('outcome_label', '')} le {(dec.get('on') or '')[:10]} ({dec.get('by_role', '')})",
            ),
            ("Motifs", dec.get("reasons", "")),
            ("Mise à jour", p["updated"][:10]),
        ]
        parts.append(f'<article id="{_e(p["id"])}"><h2>{_e(p["title"])} <small>({_e(p["id"])})</small></h2>')
        parts.append(f"<p>{_e(p['description'])}</p><dl>")
        parts += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in rows]
        parts.append("</dl>")
        if p["obligations"]:
            parts.append("<h3>Obligations du Département</h3><ul>")
            parts += [f"<li>{_e(o['text'])} — <strong>{_e(o['status_label'])}</strong></li>" for o in p["obligations"]]
            parts.append("</ul>")
        if p["charter"]:
            parts.append("<h3>Charte IA du Département</h3><ul>")
            parts += [f"<li>{_e(c)}</li>" for c in p["charter"]]
            parts.append("</ul>")
        parts.append("</article>")
    if not shown:
        parts.append("<p>Aucun usage de l'IA n'a encore été décidé.</p>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------- fiche of one entry


def decision_text(entry: Entry) -> str:
    d = entry.decision
    if d is None:
        return f"Pas encore de décision (entrée {entry.state_label}) : la décision revient au référent IA ou au DPO."
    return f"{DECISIONS[d.outcome].capitalize()} le {d.on[:10]} par le {d.by_role} : {d.reasons}"


def fiche_result(entry: Entry) -> dict[str, Any]:
    """The entry's assessment as the assessment fiche reads it, with the recorded decision and statuses."""
    out = dict(entry.assessment)
    out["question"] = entry.description
    out["human_decision"] = decision_text(entry)
    out["obligations"] = [
        {"text": f"{o.text} — {OBLIGATION_STATUS[o.status]}" + (f" ({o.on[:10]})" if o.on else "")}
        for o in entry.obligations
    ]
    return out


def fiche_html(entry: Entry) -> str:
    return fiche.to_html(fiche_result(entry))


def fiche_pdf(entry: Entry, out: Path) -> Path:
    """The entry's fiche printed to PDF by the assessment fiche's converter (headless Chromium)."""
    return fiche.html_to_pdf(fiche_html(entry), out, fallback="exportez la fiche en HTML")


__all__ = [
    "COLUMNS",
    "STANDARD",
    "csv_cell",
    "fiche_html",
    "fiche_pdf",
    "fiche_result",
    "published",
    "record",
    "to_csv",
    "to_html",
    "to_json",
]
