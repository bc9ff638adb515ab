"""`assistant assess`: the assessment of a planned use, printed or exported as a fiche."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.assess import fiche
from assistant.assess.assessor import OPTIONAL_FIELDS, compose_description
from assistant.base.errors import InputError
from assistant.base.settings import Settings
from assistant.cli.output import StderrStream, print_json, print_response
from assistant.core.audited import cli_session


def add_assess_parser(sub: argparse._SubParsersAction) -> None:
    """`assistant assess [--json] [--fiche md|html|pdf --out FILE] "description"`."""
    a = sub.add_parser("assess", help="évaluer un projet d'usage de l'IA (niveau de risque, obligations, charte)")
    a.add_argument("description", help="le projet, décrit en français")
    for key, label in OPTIONAL_FIELDS:
        a.add_argument(f"--{key}", help=f"{label.lower()} (facultatif)")
    a.add_argument("--fiche", choices=["md", "html", "pdf"], help="exporter une fiche d'une page")
    a.add_argument("--out", help="fichier de la fiche (défaut : sortie standard pour md et html)")
    a.add_argument("--stream", action="store_true", help="afficher le résumé au fil de l'eau")
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    a.set_defaults(func=cmd_assess)


def cmd_assess(args: argparse.Namespace, settings: Settings) -> int:
    description = compose_description(args.description, **{k: getattr(args, k, None) for k, _ in OPTIONAL_FIELDS})
    stream = StderrStream()
    with cli_session(settings) as session:  # audited as user "cli"
        out = session.assess(description, on_token=stream if args.stream else None)
    stream.end()
    if args.fiche:
        if args.fiche == "pdf":
            if not args.out:
                raise InputError("Indiquez le fichier PDF à écrire avec --out fiche.pdf.")
            path = fiche.write_pdf(out, Path(args.out))
            print(f"Fiche PDF écrite : {path}", file=sys.stderr)
        else:
            doc = fiche.to_markdown(out) if args.fiche == "md" else fiche.to_html(out)
            if args.out:
                Path(args.out).write_text(doc, encoding="utf-8")
                print(f"Fiche écrite : {args.out}", file=sys.stderr)
            elif not getattr(args, "json", False):
                sys.stdout.write(doc)
                return 0
    if getattr(args, "json", False):
        print_json(out)
        return 0
    print_response(out, first_word=False)
    return 0


__all__ = ["add_assess_parser", "cmd_assess"]
