"""Command line: a thin shell over the service functions (`assistant --help`).

The interactive requests (ask, assess, search, quiz) go through the audited gateway as user
"cli" (core/audited.py `cli_session`); evaluation runs and index builds are not requests.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from assistant.base.errors import AssistantError
from assistant.base.settings import Settings
from assistant.cli.output import StderrStream, err, print_json, print_response


def _bar(desc: str) -> Callable[[int], Callable[[int], None]]:
    def make(total: int) -> Callable[[int], None]:
        from tqdm import tqdm

        bar = tqdm(total=total, desc=desc, unit="passage", file=sys.stderr, dynamic_ncols=True)

        def tick(n: int) -> None:
            bar.update(n)
            if bar.n >= total:
                bar.close()

        return tick

    return make


# ---------------------------------------------------------------- models


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ops import models

    names = args.names or ["embedder", "llm-1.5b", "llm-0.5b"]
    if args.action == "fetch":
        statuses = models.fetch(names, settings.models_path, progress=err)
    else:
        statuses = models.status(settings.models_path, deep=args.deep)
    rows = [s if isinstance(s, dict) else getattr(s, "__dict__", {"status": str(s)}) for s in statuses]
    if args.json:
        print_json({"models_dir": str(settings.models_path), "models": [_jsonable(r) for r in rows]})
    else:
        print(f"Dossier des modèles : {settings.models_path}")
        for s in statuses:
            print(f"  {s}")
    return 0 if all(getattr(s, "verified", True) for s in statuses) or args.action == "status" else 1


def _jsonable(d: dict) -> dict:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}


# ---------------------------------------------------------------- index


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.search.index import build_index, index_status

    if args.action == "status":
        st = index_status(settings.index_path)
        if args.json:
            print_json(st)
        elif st["ready"]:
            print(
                f"Index en service : {st['generation']} ({st['chunks']} passages, {st['corpus_version']}, {st['embedder']})"
            )
            for d in st.get("documents") or []:
                print(f"  {d['doc_id']:<18} {d['chunks']:>5} passages  version {d['version']}")
        else:
            print(st["message"])
        return 0 if st["ready"] else 1
    from assistant.search.embed import make_embedder

    embedder_name = _embedder_name(settings)
    report = build_index(
        manifest_path=Path(settings.manifest),
        corpus_dir=settings.corpus_path,
        index_dir=settings.index_path,
        embedder_factory=lambda: make_embedder(settings),
        embedder_name=embedder_name,
        force=args.force,
        only=args.doc or None,
        progress=err,
        bar=_bar("Plongements"),
    )
    if report.unchanged:
        print(
            f"Index à jour ({report.generation}, {report.chunks} passages) : rien à reconstruire (--force pour forcer)."
        )
    else:
        print(
            f"Index construit : {report.generation}, {report.chunks} passages, "
            f"{report.embedded} plongement(s) calculé(s), {report.seconds:.1f} s."
        )
    return 0


def _embedder_name(settings: Settings) -> str:
    if settings.embedder == "fake":
        from assistant.search.embed import FakeEmbedder

        return FakeEmbedder().name
    from assistant.ops.models import SPECS

    return f"embeddinggemma-300m@{SPECS['embedder'].sha256[:12]}"


# ---------------------------------------------------------------- search


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.audited import cli_session

    with cli_session(settings) as session:
        out = session.search(args.query, k=args.k, docs=args.doc, lang=args.lang)
    if args.json:
        print_json(out)
    else:
        for r in out["results"]:
            page = f", p. {r['page']}" if r["page"] else ""
            print(f"{r['rank']}. [{r['score']:.4f}] {r['label']}{page}\n   {r['text'][:300]}")
    return 0


# ---------------------------------------------------------------- ask


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.audited import cli_session

    stream = StderrStream()
    with cli_session(settings) as session:
        out = session.ask(args.question, on_token=stream if args.stream else None)
    stream.end()
    if args.json:
        print_json(out)
        return 0
    print_response(out)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from assistant.cli.admin import service_app
    from assistant.law import law

    law()  # the law data files are checked before anything listens (a French error names the faulty field)

    app = service_app(settings, args.host, with_ui=not args.no_ui)  # refuses a non-loopback host without keys
    ui = "" if args.no_ui else f", interface : http://{args.host}:{args.port}/ui"
    print(
        f"Assistant en écoute sur http://{args.host}:{args.port} (santé : /health, API : /openapi.json{ui})",
        file=sys.stderr,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    for name, env, value, help_ in settings.describe():
        print(f"{name:<16} {env:<28} {value}\n{'':<16} {help_}")
    return 0


def cmd_law(args: argparse.Namespace, settings: Settings) -> int:
    """The law data files, checked (loading validates them), with who reviewed them and when."""
    from assistant.law import law

    metas = list(law().meta.values())
    if args.json:
        print_json(
            [
                {
                    "file": m.file,
                    "reviewed_on": m.reviewed_on.isoformat(),
                    "reviewed_by": m.reviewed_by,
                    "basis": m.basis,
                }
                for m in metas
            ]
        )
        return 0
    print("Données juridiques vérifiées (format : docs/LAW-DATA.md) :")
    for m in metas:
        print(f"  {m.file:<34} relu le {m.reviewed_on:%d/%m/%Y} par {m.reviewed_by}")
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description="Assistant IA-réglementation (local, sourcé, étiqueté).")
    p.add_argument("--json", action="store_true", help="sortie JSON (un document)")
    sub = p.add_subparsers(dest="command", required=True)

    m = sub.add_parser("models", help="modèles : télécharger/vérifier, état")
    m.add_argument("action", choices=["fetch", "status"])
    m.add_argument("names", nargs="*", help="embedder, llm-1.5b, llm-0.5b (défaut : tous)")
    m.add_argument("--deep", action="store_true", help="recalculer les sha256 (status)")
    m.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    m.set_defaults(func=cmd_models)

    i = sub.add_parser("index", help="index : construire, état")
    i.add_argument("action", choices=["build", "status"])
    i.add_argument("--force", action="store_true", help="reconstruire même si rien n'a changé")
    i.add_argument("--doc", action="append", help="n'indexer que ce document (répétable)")
    i.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    i.set_defaults(func=cmd_index)

    s = sub.add_parser("search", help="rechercher des passages")
    s.add_argument("query")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--doc", action="append", help="filtrer par document (répétable)")
    s.add_argument("--lang", help="filtrer par langue (fr, en)")
    s.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    s.set_defaults(func=cmd_search)

    a = sub.add_parser("ask", help="poser une question (réponse sourcée)")
    a.add_argument("question")
    a.add_argument("--stream", action="store_true", help="afficher la formulation au fil de l'eau")
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    a.set_defaults(func=cmd_ask)

    from assistant.cli.assess import add_assess_parser

    add_assess_parser(sub)

    from assistant.cli.register import add_register_parser

    add_register_parser(sub)

    from assistant.cli.eval import add_eval_parser

    add_eval_parser(sub)

    from assistant.cli.training import add_training_parsers

    add_training_parsers(sub)

    v = sub.add_parser("serve", help="démarrer l'API (et l'interface)")
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8000)
    v.add_argument("--no-ui", action="store_true", help="API seule, sans l'interface web")
    v.set_defaults(func=cmd_serve)

    c = sub.add_parser("config", help="afficher les réglages")
    c.set_defaults(func=cmd_config)

    w = sub.add_parser(
        "law", help="données juridiques (carte des risques, obligations, charte…) : vérifier, relectures"
    )
    w.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    w.set_defaults(func=cmd_law)

    from assistant.cli.admin import add_commands

    add_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.load()
        return int(args.func(args, settings) or 0)
    except AssistantError as exc:
        err(f"Erreur : {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        err("Interrompu.")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
