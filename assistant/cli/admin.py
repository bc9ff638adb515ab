"""Service commands of the CLI: `assistant keys …`, `assistant audit …`, and the app for `serve`.

cli.py registers them with `add_commands(sub)`; each command is `func(args, settings) -> int`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from assistant.base.settings import Settings
from assistant.ops.keys import ROLES, KeyStore, assert_can_listen


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


def _json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="sortie JSON (un document)")


def _audit(settings: Settings) -> Any:
    from assistant.ops.audit import AuditLog

    return AuditLog.from_settings(settings)


# ---------------------------------------------------------------- keys


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    store = KeyStore(settings.keys_file)
    as_json = getattr(args, "json", False)
    if args.keys_action == "create":
        record, raw = store.create(args.role, args.label or "")
        if as_json:
            _print_json(record.public() | {"key": raw})
        else:
            print(f"Clé créée : id {record.id}, rôle {record.role}{f', « {record.label} »' if record.label else ''}.")
            print(f"\n    {raw}\n")
            print("Conservez-la maintenant : elle ne sera plus jamais affichée (seule son empreinte est enregistrée).")
            print("Usage : en-tête « Authorization: Bearer <clé> » ou « X-API-Key: <clé> ».")
        return 0
    if args.keys_action == "list":
        keys = store.records()
        if as_json:
            _print_json({"path": str(store.path), "keys": [k.public() for k in keys]})
            return 0
        if not keys:
            print(f"Aucune clé d'API ({store.path}) : le service n'accepte que les appels locaux.")
            print('Créez-en une avec `assistant keys create --role admin --label "…"`.')
            return 0
        print(f"Clés d'API ({store.path}) :")
        for k in keys:
            state = f"révoquée le {k.revoked}" if k.revoked else "active"
            print(f"  {k.id}  {k.role:<8} {state:<32} créée le {k.created}  {k.label}")
        return 0
    record = store.revoke(args.id)
    if as_json:
        _print_json(record.public())
    else:
        print(f"Clé {record.id} ({record.role}) révoquée le {record.revoked} : elle est refusée dès maintenant.")
    return 0


# ---------------------------------------------------------------- audit


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    log = _audit(settings)
    as_json = getattr(args, "json", False)
    try:
        if args.audit_action == "verify":
            report = log.verify()
            if as_json:
                _print_json(
                    {
                        "ok": report.ok,
                        "rows": report.rows,
                        "head": report.head,
                        "broken_id": report.broken_id,
                        "reason": report.reason,
                    }
                )
            else:
                print(report.render())
            return 0 if report.ok else 1
        if args.audit_action == "purge":
            from assistant.base.errors import InputError

            if args.older_than_days is not None and args.older_than_days < 0:
                raise InputError("--older-than-days doit être un nombre de jours positif ou nul.")
            purged = log.purge(args.older_than_days)
            if as_json:
                _print_json(purged.__dict__)
            else:
                print(
                    f"Purge : {purged.deleted} ligne(s) d'audit et {purged.feedback_deleted} avis antérieurs au "
                    f"{purged.cutoff} supprimés ; chaîne d'empreintes conservée (ligne de purge ajoutée)."
                    if purged.deleted or purged.feedback_deleted
                    else f"Purge : rien d'antérieur au {purged.cutoff}."
                )
            return 0
        rows = log.rows(limit=args.limit)
        if as_json:
            _print_json({"rows": rows})
            return 0
        if not rows:
            print(f"Journal d'audit vide ({log.path}).")
        for r in reversed(rows):
            if r["kind"] == "purge":
                print(f"{r['ts']}  purge : {r['detail']}")
                continue
            extra = " ".join(
                x
                for x in (
                    f"abstention={'oui' if r['abstained'] else 'non'}" if r["abstained"] is not None else "",
                    f"{r['latency_ms']:.0f} ms" if r["latency_ms"] is not None else "",
                    f"{r['energy_wh']:.4f} Wh" if r["energy_wh"] is not None else "",
                    f"sources={','.join(r['refs'])}" if r["refs"] else "",
                )
                if x
            )
            print(f"{r['ts']}  {r['user']:<16} {r['endpoint']:<40} {r['status']}  {extra}")
            if r["question"]:
                print(f"    « {r['question']} »")
        return 0
    finally:
        log.close()


# ---------------------------------------------------------------- serve


def service_app(settings: Settings, host: str, *, with_ui: bool = True) -> Any:
    """The API app for `assistant serve`: refuses a non-loopback host without keys, applies retention.

    The UI is mounted in the same process; each of its requests goes through the API's audited
    gateway under the signed-in key's pseudonym ("local" when no key existed at start-up)."""
    from assistant.web.api import create_app

    keys = KeyStore(settings.keys_file)
    assert_can_listen(host, keys)
    app = create_app(settings, keys=keys, audit=_audit(settings))
    if with_ui:
        from assistant.core.access import RegisterSessions, UiSessions, ui_login
        from assistant.core.admin import AdminView
        from assistant.ui.app import mount_ui

        ctx = app.state.ctx
        auth = ui_login(keys)
        login: dict[str, Any] = {}
        if auth:
            login = {
                "auth": auth,
                "auth_message": "Identifiant : l'id de la clé (assistant keys list) ; mot de passe : la clé.",
            }
        mount_ui(
            app,
            ctx.service,  # rendering lookups only (passages of the citations); requests go through sessions
            sessions=UiSessions(ctx),
            admin=AdminView(ctx),
            register=RegisterSessions(ctx),
            **login,
        )
    return app


# ---------------------------------------------------------------- parser


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register `keys` and `audit` on the CLI's subparsers."""
    k = sub.add_parser("keys", help="clés d'API : créer, lister, révoquer")
    ks = k.add_subparsers(dest="keys_action", required=True)
    c = ks.add_parser("create", help="créer une clé (affichée une seule fois)")
    c.add_argument(
        "--role", choices=ROLES, default="agent", help="rôle : agent (défaut), trainer, referent (référent IA), admin"
    )
    c.add_argument("--label", default="", help="libellé (service, personne, outil)")
    _json_flag(c)
    _json_flag(ks.add_parser("list", help="lister les clés (jamais les clés elles-mêmes)"))
    r = ks.add_parser("revoke", help="révoquer une clé")
    r.add_argument("id", help="identifiant de la clé (voir `assistant keys list`)")
    _json_flag(r)
    k.set_defaults(func=cmd_keys)

    a = sub.add_parser("audit", help="journal d'audit : vérifier, purger, afficher")
    aus = a.add_subparsers(dest="audit_action", required=True)
    _json_flag(aus.add_parser("verify", help="vérifier la chaîne d'empreintes"))
    p = aus.add_parser("purge", help="supprimer les lignes plus anciennes que la durée de conservation")
    p.add_argument("--older-than-days", type=int, default=None, help="jours (défaut : ASSISTANT_AUDIT_RETENTION_DAYS)")
    _json_flag(p)
    s = aus.add_parser("show", help="afficher les dernières lignes")
    s.add_argument("--limit", type=int, default=20)
    _json_flag(s)
    a.set_defaults(func=cmd_audit)


__all__ = ["add_commands", "cmd_audit", "cmd_keys", "service_app"]
