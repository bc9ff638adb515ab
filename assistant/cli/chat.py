"""`assistant chat`: a conversation in the terminal, each turn through the audited gateway.

    assistant chat [--stream]
    > Un outil qui trie les demandes d'aide sociale est-il à haut risque ?
    > Depuis quand ?            (une question de suite : « Question comprise : … » est affichée)
    > /nouvelle                 (nouvelle conversation)   > /quitter (ou Ctrl-D)

The conversation lives in memory for the session only (core/conversation.py); each turn is
one audit row with the conversation id, as from the API.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from assistant.base.errors import AssistantError
from assistant.base.settings import Settings
from assistant.cli.output import StderrStream, err, print_response

NEW = ("/nouvelle", "/new")
QUIT = ("/quitter", "/quit", "/q")


def print_turn(out: dict) -> None:
    """« Question comprise : … » for a follow-up, what an hypothesis changed, then the answer."""
    if out.get("followup"):
        print(f"Question comprise : {out['understood_question']}\n")
    for line in out.get("changes") or []:
        print(f"• {line}")
    if out.get("changes"):
        print()
    print_response(out)


def repl(ask: Callable[..., dict], read: Callable[[str], str] = input, *, stream: bool = False) -> int:
    """Read questions until /quitter or end of input; a French error never ends the conversation."""
    conversation_id: str | None = None
    err("Conversation (questions de suite comprises). /nouvelle : nouvelle conversation ; /quitter : fin.")
    while True:
        try:
            line = read("> ").strip()
        except EOFError:
            print()
            return 0
        if not line:
            continue
        if line.lower() in QUIT:
            return 0
        if line.lower() in NEW:
            conversation_id = None
            err("Nouvelle conversation.")
            continue
        on_token = StderrStream() if stream else None
        try:
            out = ask(line, on_token=on_token, conversation_id=conversation_id)
        except AssistantError as exc:
            err(f"Erreur : {exc}")
            continue
        finally:
            if on_token is not None:
                on_token.end()
        conversation_id = out.get("conversation_id")
        print_turn(out)
        print()


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.core.audited import cli_session

    with cli_session(settings) as session:
        return repl(session.ask, stream=args.stream)


def add_chat_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("chat", help="conversation : questions et questions de suite, dans le terminal")
    c.add_argument("--stream", action="store_true", help="afficher la formulation au fil de l'eau")
    c.set_defaults(func=cmd_chat)


__all__ = ["add_chat_parser", "cmd_chat", "print_turn", "repl"]
