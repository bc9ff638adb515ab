"""`assistant docs list|preview|add|replace|withdraw|status`: the administrator's reference texts.

Each action is audited (user "cli") like the API's; add, replace and withdraw show what they
will do and ask for confirmation (`--yes` to skip), then wait for the new index generation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.base.settings import Settings
from assistant.cli.output import print_json
from assistant.ingest.library import Meta


def _documents(settings: Settings) -> Any:
    from assistant.core.documents import Documents
    from assistant.core.service import Service

    return Documents(Service(settings))


def _meta(args: argparse.Namespace) -> Meta:
    return Meta(
        doc_id=args.id,
        title=args.title,
        issuer=args.issuer,
        date=args.date,
        lang=args.lang,
        licence=args.licence,
        nature=args.nature,
        precedence=args.precedence,
        url=args.url,
        short=args.short,
        kind=args.kind,
    )


def print_preview(p: dict) -> None:
    print(f"Unités trouvées : {p['units']} (type {p['kind']})")
    print("Titres :")
    for h in p["headings"]:
        page = f" (p. {h['page']})" if h.get("page") else ""
        print(f"  {h['ref']:<28} {h['label']}{page}")
    print("Échantillon :")
    for s in p["sample"]:
        page = f", p. {s['page']}" if s.get("page") else ""
        print(f"  — {s['label']}{page} : « {s['text']} »")
    print("Rapport de lecture :")
    for line in p["report"]:
        print(f"  {line}")


def _confirmed(args: argparse.Namespace, what: str) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print(f"Rien n'a été fait. Relancez avec --yes pour confirmer {what}.")
        return False
    return input(f"Confirmer {what} ? [o/N] ").strip().lower() in ("o", "oui", "y", "yes")


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.audited import cli_session

    docs = _documents(settings)
    as_json = getattr(args, "json", False)
    action = args.docs_action
    with cli_session(settings, docs.service) as session:
        gw, caller = session.gateway, session.caller(f"docs {action}")
        target = getattr(args, "id", None) or ""
        fields = {"question": f"docs {action} {target}".strip(), "refs": [f"{target}:"] if target else []}

        def run(call: Any) -> Any:
            return gw.run(caller, f"docs_{action}", call, **fields)

        if action == "list":
            out = run(docs.list)
            if as_json:
                print_json(out)
                return 0
            for d in out["documents"]:
                last = d["versions"][-1] if d["versions"] else {}
                version = last.get("version") or f"version {last.get('n', '?')}"
                print(f"{d['doc_id']:<28} {d['status']:<11} {d['origin']:<13} {version:<32} {d['title'][:70]}")
            return 0
        if action == "status":
            out = run(docs.status)
            print_json(out) if as_json else print(out["message"])
            return 0
        if action == "preview":
            out = run(lambda: docs.preview(_meta(args), Path(args.file)))
            print_json(out) if as_json else print_preview(out)
            return 0
        if action in ("add", "replace"):
            step = (
                (lambda confirm: docs.add(_meta(args), Path(args.file), by="cli", confirm=confirm))
                if action == "add"
                else (lambda confirm: docs.replace(args.id, Path(args.file), by="cli", confirm=confirm))
            )
            first = run(lambda: step(False))
            if not as_json:
                print_preview(first["preview"])
            what = "l'ajout" if action == "add" else "le remplacement"
            if not _confirmed(args, what):
                if as_json:
                    print_json(first)
                return 1
            out = run(lambda: step(True))
        else:
            first = run(lambda: docs.withdraw(args.id, by="cli", confirm=False))
            if not as_json:
                print(f"Document « {first['doc_id']} » : {first['title']}")
            if not _confirmed(args, "le retrait"):
                return 1
            out = run(lambda: docs.withdraw(args.id, by="cli", confirm=True))
    job = docs.wait()
    out["job"] = job
    if as_json:
        print_json(out)
    else:
        print(job["message"])
    return 0 if job.get("state") == "terminée" else 1


def add_docs_parser(sub: argparse._SubParsersAction) -> None:
    d = sub.add_parser("docs", help="textes de référence ajoutés par l'administrateur : lister, ajouter, remplacer…")
    ds = d.add_subparsers(dest="docs_action", required=True)

    def flags(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="sortie JSON")
        return p

    flags(ds.add_parser("list", help="documents, versions et état"))
    flags(ds.add_parser("status", help="état de la dernière reconstruction de l'index"))
    for name, help_ in (("preview", "aperçu du découpage (rien n'est enregistré)"), ("add", "ajouter un document")):
        p = flags(ds.add_parser(name, help=help_))
        p.add_argument("file", help="fichier PDF, HTML ou texte")
        p.add_argument("--id", required=True, help="identifiant (minuscules, chiffres, tirets), ex. cnil-fiche-3")
        p.add_argument("--title", required=True, help="titre complet")
        p.add_argument("--issuer", default="", help="auteur (CNIL, Conseil d'État, Département…)")
        p.add_argument("--date", default="", help="date du texte (AAAA-MM-JJ)")
        p.add_argument("--lang", default="fr", help="langue (fr, en)")
        p.add_argument("--licence", default="", help="licence, ex. « CC BY-ND 4.0 FR »")
        p.add_argument("--nature", default="autre", help="reglement, recommandation, departement ou autre")
        p.add_argument("--precedence", type=int, default=1, help="priorité en cas de désaccord (défaut 1)")
        p.add_argument("--url", default="", help="adresse officielle")
        p.add_argument("--short", default="", help="nom court cité dans les réponses")
        p.add_argument("--kind", default="", help="pdf, html, text ou web-text (défaut : d'après le fichier)")
        if name == "add":
            p.add_argument("--yes", action="store_true", help="confirmer sans question")
    r = flags(ds.add_parser("replace", help="remplacer par une nouvelle version"))
    r.add_argument("id")
    r.add_argument("file")
    r.add_argument("--yes", action="store_true", help="confirmer sans question")
    w = flags(ds.add_parser("withdraw", help="retirer de l'index (gardé dans l'historique)"))
    w.add_argument("id")
    w.add_argument("--yes", action="store_true", help="confirmer sans question")
    d.set_defaults(func=cmd_docs)


__all__ = ["add_docs_parser", "cmd_docs", "print_preview"]
