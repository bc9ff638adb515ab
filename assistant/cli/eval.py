"""`assistant eval …`: run a question set, compare two runs, run the external benchmark.

    assistant eval run --questions FILE [--questions FILE2] --out DIR [--limit N] [--resume]
                       [--only-retrieval] [--with-retrieval] [-k 10]
    assistant eval retrieval --questions FILE --out DIR [-k 10] [--limit N]
    assistant eval compare RUN_A RUN_B [--out DIR]
    assistant eval benchmark --out DIR [--part qa|scenarios|all] [--limit N] [--resume] [--with-retrieval]
    assistant eval attacks --out DIR [--cases eval/attacks.jsonl] [--limit N]

Wired into the main parser by `add_eval_parser(subparsers)` (see `assistant/cli/main.py`).

Evaluation runs call the Service directly, not the audited gateway (core/audited.py): they are
measurements of the system, not requests of a user, and would flood the audit trail with
thousands of synthetic rows.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.base.errors import AssistantError
from assistant.base.settings import PROJECT_ROOT, Settings
from assistant.cli.output import err, print_json
from assistant.core.service import Service


def cmd_eval_run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.evaluate import run_answer_eval, run_retrieval_eval, write_retrieval_report

    questions = [Path(q) for q in args.questions]
    out = Path(args.out)
    from assistant.evaluation.conversations import is_conversation_file

    talks = [q for q in questions if q.is_file() and is_conversation_file(q)]
    if talks:  # conversations: every turn scored, first turns and follow-ups apart
        if len(talks) < len(questions):
            raise AssistantError("Donnez les fichiers de conversations à part (un run par sorte de fichier).")
        return cmd_eval_conversations(talks, out, args, settings)
    if args.only_retrieval:
        summary = run_retrieval_eval(
            questions, out, k=args.k, service=Service(settings), progress=err, limit=args.limit
        )
        figures = write_retrieval_report(questions, out, summary)
        if getattr(args, "json", False):
            print_json(figures)
        else:
            print(summary.render())
            print(f"\nRapport : {out / 'report.html'}")
        return 0
    asummary = run_answer_eval(
        questions,
        out,
        service=Service(settings),
        limit=args.limit,
        resume=args.resume,
        progress=err,
        with_retrieval=args.with_retrieval,
        k=args.k,
    )
    if getattr(args, "json", False):
        print_json(asummary.figures)
    else:
        print(asummary.render())
        print(f"\nRésultats : {out / 'results.jsonl'}\nRapport : {out / 'report.html'}")
    return 0


def cmd_eval_retrieval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.evaluate import run_retrieval_eval, write_retrieval_report

    questions = [Path(q) for q in args.questions]
    summary = run_retrieval_eval(
        questions, Path(args.out), k=args.k, service=Service(settings), progress=err, limit=args.limit
    )
    figures = write_retrieval_report(questions, Path(args.out), summary)
    if getattr(args, "json", False):
        print_json(figures)
    else:
        print(summary.render())
    return 0


def cmd_eval_compare(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.compare import compare_runs, render_text, write_compare

    cmp = compare_runs(Path(args.run_a), Path(args.run_b))
    path = write_compare(cmp, Path(args.out) if args.out else None)
    if getattr(args, "json", False):
        print_json(cmp)
    else:
        print(render_text(cmp))
        print(f"\nComparaison HTML : {path}")
    return 0


def cmd_eval_benchmark(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.benchmark import run_benchmark

    out = Path(args.out)
    summary = run_benchmark(
        out,
        service=Service(settings),
        settings=settings,
        part=args.part,
        limit=args.limit,
        resume=args.resume,
        with_retrieval=args.with_retrieval,
        progress=err,
    )
    if getattr(args, "json", False):
        print_json(summary.figures)
    else:
        print(summary.render())
        print(f"\nRapport : {out / 'report.html'}")
    return 0


def attack_target(settings: Settings, embedder: Any, generator: Any) -> tuple[Service, Callable[[dict], str]]:
    """The service under attack (on the planted index) and the UI's rendering of its responses."""
    from assistant.ui.app import SourceLookup, render_answer_html

    svc = Service(settings, embedder=embedder, generator=generator)
    lookup = SourceLookup(svc)

    def render(response: dict) -> str:
        return render_answer_html(response, passage_for=lookup.passage, label_for=lookup.label)

    return svc, render


def cmd_eval_attacks(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.attacks import run_attacks

    out = Path(args.out)
    summary = run_attacks(
        out, settings=settings, target=attack_target, cases_path=Path(args.cases), limit=args.limit, progress=err
    )
    if getattr(args, "json", False):
        print_json(summary.figures)
    else:
        print(summary.render())
        print(f"\nRésultats : {out / 'results.jsonl'}\nRapport : {out / 'report.json'}")
    return 0


def cmd_eval_conversations(files: list[Path], out: Path, args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.conversation import ConversationStore, converse
    from assistant.evaluation.conversations import run_conversation_eval

    service, store = Service(settings), ConversationStore()

    def chat(question: str, conversation_id: str | None) -> dict:
        conv = store.get("eval", conversation_id) if conversation_id else store.new("eval")
        exchange = converse(service, list(conv.turns), question)
        out = {**exchange.response.to_json(), **exchange.fields(conv)}
        conv.add(exchange.turn(out))
        return out

    summary = run_conversation_eval(files, out, chat=chat, limit=args.limit, progress=err)
    if getattr(args, "json", False):
        print_json(summary.figures)
    else:
        print(summary.render())
        print(f"\nRésultats : {out / 'results.jsonl'}\nScores : {out / 'scores.jsonl'}")
    return 0


def add_eval_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `eval` and its sub-commands to the main parser's subparsers."""
    e = sub.add_parser("eval", help="évaluation : jeux de questions, rapports, comparaisons, banc d'essai externe")
    actions = e.add_subparsers(dest="action", required=True, metavar="{run,retrieval,compare,benchmark,attacks}")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="sortie JSON (un document)")

    r = actions.add_parser("run", help="poser les questions (ask) et les scénarios (assess), écrire le rapport")
    r.add_argument(
        "--questions", required=True, action="append", help="fichier JSONL (répétable : questions + scénarios)"
    )
    r.add_argument("--out", required=True, help="dossier du run (results.jsonl, report.json, report.html)")
    r.add_argument("--limit", type=int, help="n'évaluer que les N premières lignes")
    r.add_argument("--resume", action="store_true", help="reprendre un run interrompu (garde les lignes complètes)")
    r.add_argument("--only-retrieval", action="store_true", help="ne mesurer que la recherche (pas de LLM)")
    r.add_argument(
        "--with-retrieval", action="store_true", help="mesurer aussi la recherche (un appel search par question)"
    )
    r.add_argument("-k", type=int, default=10, help="passages récupérés pour la mesure de recherche")
    common(r)
    r.set_defaults(func=cmd_eval_run)

    t = actions.add_parser("retrieval", help="mesurer la recherche seule (recall@1/5/10, MRR)")
    t.add_argument("--questions", required=True, action="append", help="fichier JSONL (répétable)")
    t.add_argument("--out", required=True)
    t.add_argument("--limit", type=int, help="n'évaluer que les N premières questions")
    t.add_argument("-k", type=int, default=10)
    common(t)
    t.set_defaults(func=cmd_eval_retrieval)

    c = actions.add_parser("compare", help="comparer deux runs (indicateurs, questions améliorées/dégradées)")
    c.add_argument("run_a", help="dossier du run de référence")
    c.add_argument("run_b", help="dossier du nouveau run")
    c.add_argument("--out", help="dossier où écrire compare.html (défaut : celui du run B)")
    common(c)
    c.set_defaults(func=cmd_eval_compare)

    b = actions.add_parser(
        "benchmark", help="banc d'essai externe (AI Act Evaluation Benchmark, anglais), rapporté à part"
    )
    b.add_argument("--out", required=True)
    b.add_argument("--part", choices=["qa", "scenarios", "all"], default="all")
    b.add_argument("--limit", type=int, help="n'évaluer que les N premiers éléments de chaque partie")
    b.add_argument("--resume", action="store_true")
    b.add_argument("--with-retrieval", action="store_true")
    common(b)
    b.set_defaults(func=cmd_eval_benchmark)

    a = actions.add_parser(
        "attacks", help="questions hostiles (injections directes et indirectes, entrées piégées) : taux par type"
    )
    a.add_argument("--out", required=True, help="dossier du run (results.jsonl, report.json)")
    a.add_argument("--cases", default=str(PROJECT_ROOT / "eval" / "attacks.jsonl"), help="fichier JSONL des attaques")
    a.add_argument("--limit", type=int, help="n'exécuter que les N premiers cas")
    common(a)
    a.set_defaults(func=cmd_eval_attacks)
    return e
