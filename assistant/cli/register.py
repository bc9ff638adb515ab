"""`assistant register …`: the register of AI uses from the server's shell.

Every command is a request of the register desk (core/register.py), audited as user "cli". The
shell of the server is an administrator's: the CLI acts with the admin role (it may decide; its
decisions are signed « administrateur »). Agents and the référent IA use the UI or the API with
their own keys.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from assistant.base.settings import Settings
from assistant.cli.output import err, print_json
from assistant.core.audited import CLI_USER, Caller, Gateway
from assistant.core.register import FORMATS, RegisterDesk, open_desk
from assistant.core.service import Service
from assistant.ops.stores import open_audit
from assistant.register.entry import DECISIONS, OBLIGATION_STATUS, Entry
from assistant.register.lifecycle import Actor

ACTOR = Actor(CLI_USER, "admin")


@contextlib.contextmanager
def _desk(settings: Settings) -> Iterator[RegisterDesk]:
    audit = open_audit(settings)
    desk = open_desk(Gateway(Service(settings), audit), settings)
    try:
        yield desk
    finally:
        desk.store.close()
        audit.close()


def _caller(args: argparse.Namespace) -> Caller:
    return Caller(CLI_USER, f"CLI register {args.register_action}", "cli")


def _print(entry: Entry, as_json: bool) -> None:
    if as_json:
        print_json(entry.to_json())
        return
    print(f"{entry.id} (version {entry.version}) — {entry.title}")
    print(f"  État : {entry.state_label} · niveau proposé : {entry.level_title} · service : {entry.service or '—'}")
    if entry.decision is not None:
        d = entry.decision
        print(f"  Décision : {DECISIONS[d.outcome]} le {d.on[:10]} ({d.by_role}) — {d.reasons}")
    for o in entry.obligations:
        print(f"  [{OBLIGATION_STATUS[o.status]:>10}] {o.key}  {o.text}")
    if entry.reassessment:
        r = entry.reassessment
        print(
            f"  Réévaluation : niveau {r['level_before']} → {r['level_after']}, "
            f"{len(r['obligations_added'])} obligation(s) ajoutée(s), {len(r['obligations_removed'])} retirée(s)"
        )
    if entry.review_needed:
        print("  À revoir : la réévaluation a changé le niveau ou les obligations, une nouvelle décision est requise.")


def cmd_register(args: argparse.Namespace, settings: Settings) -> int:
    action = args.register_action
    as_json = getattr(args, "json", False)
    with _desk(settings) as desk:
        c = _caller(args)
        if action == "list":
            rows = desk.entries(c, ACTOR)
            if as_json:
                print_json(rows)
                return 0
            for r in rows:
                print(f"{r['id']}  v{r['version']}  {r['state_label']:<24} {r['level_title']:<28} {r['title']}")
            if not rows:
                err('Registre vide : inscrivez un projet avec `assistant register create "description"`.')
            return 0
        if action == "public":
            text = desk.public(c, args.format)
            if args.out:
                Path(args.out).write_text(text, encoding="utf-8")
                err(f"Registre public écrit : {args.out}")
            else:
                sys.stdout.write(text)
            return 0
        if action == "show":
            if args.history:
                for v in desk.history(c, ACTOR, args.id):
                    print(
                        f"v{v['version']}  {v['ts']}  {v['action']:<11} {v['state']:<11} {v['level']}  {v['decision'] or ''}"
                    )
                return 0
            view = desk.get(c, ACTOR, args.id)
            _print(Entry.from_json(view), as_json)
            return 0
        if action == "fiche":
            if args.pdf:
                path = desk.fiche_pdf(c, ACTOR, args.id, Path(args.pdf))
                err(f"Fiche PDF écrite : {path}")
            else:
                sys.stdout.write(desk.fiche_html(c, ACTOR, args.id))
            return 0
        if action == "stale":
            current = desk.corpus_version()
            stale = desk.stale(current)
            for e in stale:
                print(f"{e.id}  évaluée sur le corpus {e.corpus_version or 'inconnu'} (actuel : {current})  {e.title}")
            if args.reassess:
                for e in stale:
                    _print(desk.reassess(_caller(args), ACTOR, e.id), as_json)
            elif not stale:
                err(f"Toutes les entrées sont évaluées sur le corpus actuel ({current}).")
            return 0
        if action == "create":
            entry = desk.create(
                c,
                ACTOR,
                args.description,
                title=args.title or "",
                service=args.service or "",
                contact_role=args.contact or "",
            )
        elif action == "submit":
            entry = desk.submit(c, ACTOR, args.id)
        elif action == "decide":
            entry = desk.decide(c, ACTOR, args.id, args.outcome, args.reasons)
        elif action == "obligation":
            entry = desk.set_obligation(c, ACTOR, args.id, args.key, args.status, args.note or "")
        elif action == "in-service":
            entry = desk.put_in_service(c, ACTOR, args.id)
        elif action == "withdraw":
            entry = desk.withdraw(c, ACTOR, args.id)
        elif action == "reassess":
            entry = desk.reassess(c, ACTOR, args.id)
        else:  # verify
            ok, _rows, report = desk.store.verify()
            print(report)
            return 0 if ok else 1
    _print(entry, as_json)
    return 0


def add_register_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("register", help="registre des usages de l'IA : inscrire, décider, publier")
    rs = r.add_subparsers(dest="register_action", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="sortie JSON")
    c = rs.add_parser("create", help="évaluer un projet et l'inscrire (brouillon)", parents=[common])
    c.add_argument("description", help="le projet, décrit en français")
    c.add_argument("--title", help="intitulé (défaut : début de la description)")
    c.add_argument("--service", help="service ou direction")
    c.add_argument("--contact", help="rôle du contact (« chef du service RH »)")
    rs.add_parser("list", help="lister les entrées", parents=[common])
    s = rs.add_parser("show", help="afficher une entrée", parents=[common])
    s.add_argument("id")
    s.add_argument("--history", action="store_true", help="toutes ses versions")
    for name, text in (
        ("submit", "soumettre au référent IA"),
        ("in-service", "mettre en service un usage approuvé"),
        ("withdraw", "retirer l'usage"),
        ("reassess", "réévaluer (après un changement du corpus)"),
    ):
        rs.add_parser(name, help=text, parents=[common]).add_argument("id")
    d = rs.add_parser("decide", help="décision humaine (référent IA, DPO) avec ses motifs", parents=[common])
    d.add_argument("id")
    d.add_argument("outcome", choices=list(DECISIONS), help=", ".join(f"{k} : {v}" for k, v in DECISIONS.items()))
    d.add_argument("--motifs", dest="reasons", required=True, help="motifs de la décision")
    o = rs.add_parser("obligation", help="statut d'une obligation", parents=[common])
    o.add_argument("id")
    o.add_argument("key", help="clé de l'obligation (voir `assistant register show ID`)")
    o.add_argument("status", choices=list(OBLIGATION_STATUS))
    o.add_argument("--note")
    f = rs.add_parser(
        "fiche", help="fiche de l'entrée (HTML sur la sortie standard, ou --pdf FICHIER)", parents=[common]
    )
    f.add_argument("id")
    f.add_argument("--pdf", help="écrire la fiche en PDF dans ce fichier")
    p = rs.add_parser("public", help="le registre public (usages approuvés, champs publics)", parents=[common])
    p.add_argument("--format", choices=FORMATS, default="html")
    p.add_argument("--out", help="fichier à écrire (défaut : sortie standard)")
    t = rs.add_parser("stale", help="entrées évaluées sur une autre version du corpus", parents=[common])
    t.add_argument("--reassess", action="store_true", help="les réévaluer et montrer ce qui a changé")
    rs.add_parser("verify", help="vérifier la chaîne d'empreintes du registre", parents=[common])
    r.set_defaults(func=cmd_register)


__all__ = ["add_register_parser", "cmd_register"]
