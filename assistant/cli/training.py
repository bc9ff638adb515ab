"""Trainer commands: `assistant quiz` (served from the bank) and `assistant training bank|pack|cases`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from assistant.base.errors import InputError
from assistant.base.settings import Settings
from assistant.cli.output import err, print_json
from assistant.core.audited import cli_session
from assistant.core.service import Service
from assistant.training.quiz import LEVELS, TOPIC_BY_SLUG, Item, topic_slug, topics_help
from assistant.training.quizbank import Bank, bank_path

LETTERS = "ABCD"


def parse_topics(values: list[str] | None) -> list[str]:
    """Topics from repeated/comma-separated options (slugs or French titles); all when empty or « tous »."""
    names = [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]
    if not names or any(n.lower() in ("tous", "all", "*") for n in names):
        return list(TOPIC_BY_SLUG)
    out = []
    for name in names:
        slug = topic_slug(name)
        if slug is None:
            raise InputError(f"Thème inconnu : « {name} ». Thèmes disponibles : {topics_help()}.")
        out.append(slug)
    return list(dict.fromkeys(out))


def quiz_json(items: list[Item], notes: list[str]) -> dict:
    from assistant.answer.result import AI_LABEL

    return {
        "ai_generated": True,
        "label": AI_LABEL,
        "corpus_version": next((it.corpus_version for it in items if it.corpus_version), ""),
        "notes": notes,
        "items": [it.to_json() | {"correct": it.correct} for it in items],
    }


def print_quiz(items: list[Item], notes: list[str]) -> None:
    from assistant.answer.result import AI_LABEL

    for i, it in enumerate(items, 1):
        print(f"{i}. [{TOPIC_BY_SLUG[it.topic].title} · {it.level}] {it.question}")
        if it.context:
            print(f"   {it.context}")
        for letter, option in zip(LETTERS, it.options, strict=False):
            print(f"   {letter}) {option}")
        print()
    print("Corrigé")
    for i, it in enumerate(items, 1):
        c = it.citation
        page = f", p. {c['page']}" if c.get("page") else ""
        print(f"{i}. {LETTERS[it.answer]}) {it.correct} — {it.explanation}")
        print(f"   Source : {c['label']}{page} — « {' '.join(c['quote'].split())} »")
    for note in notes:
        print(f"\nNote : {note}")
    version = next((it.corpus_version for it in items if it.corpus_version), "")
    print(f"\n{AI_LABEL} Version du corpus : {version or 'inconnue'}.")


def cmd_quiz(args: argparse.Namespace, settings: Settings) -> int:
    topics = parse_topics(args.topic)
    with cli_session(settings) as session:  # audited as user "cli"; bank and pack building are not requests
        items, notes = session.quiz(topics, args.n, args.level, args.seed)
    if args.json:
        print_json(quiz_json(items, notes))
    else:
        print_quiz(items, notes)
    return 0


def cmd_training(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "bank":
        return _bank(args, settings)
    if args.action == "cases":
        from assistant.training.pack import worked_cases

        cases = worked_cases(
            settings, parse_topics(args.topics), refresh=args.refresh, service=Service(settings), progress=err
        )
        if args.json:
            print_json(cases)
        else:
            for c in cases:
                print(f"— {c['title']} : {c['level_title']}\n  {c['description']}\n  ({c['method']})")
        return 0
    from assistant.training.pack import build_pack

    if not args.out:
        raise InputError("Indiquez le dossier de sortie : --out DOSSIER.")
    out = build_pack(
        settings,
        parse_topics(args.topics),
        Path(args.out),
        n=args.n,
        n_cases=args.cases,
        level=args.level,
        pdf=not args.no_pdf,
        service=Service(settings),
        progress=err,
    )
    if args.json:
        print_json(out)
    else:
        print(f"Dossier de formation écrit : {out['html']}" + (f" et {out['pdf']}" if out.get("pdf") else ""))
        for note in out.get("notes", []):
            print(f"Note : {note}")
    return 0


def _bank(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.training.quizgen import generate

    topics = parse_topics(args.topics)
    bank = Bank(bank_path(settings))
    if args.status:
        st = bank.stats()
        if args.json:
            print_json(st)
        else:
            print(f"Banque : {st['path']} — {st['items']} question(s) validée(s)")
            for t, k in st["per_topic"].items():
                print(f"  {TOPIC_BY_SLUG[t].title if t in TOPIC_BY_SLUG else t:<50} {k:>4}")
        return 0
    builder = Service(settings).quiz_builder
    generator = None
    if not args.no_model:
        from assistant.backends import make_generator

        generator = lambda: make_generator(settings)  # noqa: E731 - loaded on first use
    deadline = time.monotonic() + 60 * args.minutes if args.minutes else None
    stored: list[int] = []  # each item is appended to the bank as soon as it is validated
    _, report = generate(
        builder,
        topics,
        args.per_topic,
        generator=generator,
        seen=bank.keys(),
        seed=args.seed,
        progress=err,
        deadline=deadline,
        on_item=lambda item: stored.append(bank.add([item])),
    )
    added = sum(stored)
    summary = report.as_dict() | {"added": added, "bank": bank.stats()}
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.json:
        print_json(summary)
    else:
        share = summary["rejected_share"] * 100
        print(
            f"{report.candidates} item(s) candidat(s), {report.accepted} validé(s), {report.rejected} rejeté(s) "
            f"({share:.1f} %), {added} ajouté(s) à la banque ({summary['bank']['items']} au total) en {report.seconds:.0f} s."
        )
        print(f"Formulation par le modèle gardée pour {report.model_kept} item(s) sur {report.model_calls} appel(s).")
        for reason, k in sorted(report.reasons.items(), key=lambda x: -x[1]):
            print(f"  rejet : {reason} ({k})")
        for t, k in report.per_topic.items():
            print(f"  {TOPIC_BY_SLUG[t].title:<50} {k:>4}")
    return 0


def _level(value: str) -> str:
    """« debutant », « Confirmé »… → the level as spelt in items."""
    from assistant.text.norm import fold

    for lv in LEVELS:
        if fold(value) == fold(lv):
            return lv
    raise argparse.ArgumentTypeError(f"niveau inconnu « {value} » : débutant ou confirmé")


def add_training_parsers(sub: argparse._SubParsersAction) -> None:
    q = sub.add_parser("quiz", help="quiz de formation (banque de questions validées)")
    q.add_argument("--topic", action="append", help=f"thème (répétable, ou séparés par des virgules) : {topics_help()}")
    q.add_argument("--n", type=int, default=10, help="nombre de questions (défaut 10)")
    q.add_argument("--level", type=_level, help="niveau : débutant ou confirmé (défaut : les deux)")
    q.add_argument("--seed", help="graine du tirage (même graine, même quiz)")
    q.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    q.set_defaults(func=cmd_quiz)

    t = sub.add_parser("training", help="formation : banque de questions, cas pratiques, dossier imprimable")
    t.add_argument("action", choices=["bank", "pack", "cases"])
    t.add_argument("--topics", action="append", help="thèmes (répétable, ou séparés par des virgules ; défaut : tous)")
    t.add_argument("--per-topic", type=int, default=10, help="bank : items validés à ajouter par thème")
    t.add_argument("--no-model", action="store_true", help="bank : formulation du gabarit, sans LLM")
    t.add_argument("--status", action="store_true", help="bank : état de la banque, sans générer")
    t.add_argument("--seed", type=int, default=0, help="bank : graine du choix des passages")
    t.add_argument("--report", help="bank : fichier JSON du rapport de génération")
    t.add_argument(
        "--minutes", type=float, help="bank : temps maximal d'appels au modèle ; ensuite, formulation du gabarit"
    )
    t.add_argument("--out", help="pack : dossier de sortie")
    t.add_argument("--n", type=int, default=10, help="pack : questions du quiz")
    t.add_argument("--cases", type=int, default=4, help="pack : cas pratiques (3 à 5)")
    t.add_argument("--level", type=_level, help="pack : niveau du quiz (débutant ou confirmé)")
    t.add_argument("--no-pdf", action="store_true", help="pack : HTML seulement")
    t.add_argument("--refresh", action="store_true", help="cases : réévaluer les cas")
    t.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    t.set_defaults(func=cmd_training)
