"""The conversation view of « Poser une question »: earlier turns stacked above the current answer.

Each turn shows what the agent asked, how a follow-up was understood (« Question comprise : … »,
so the agent can rephrase), what an hypothesis changed in an assessment, then the answer as
`render_answer_html` draws it (AI label, sources). The turns live in the tab's gradio State,
held by the server for the open page only (nothing in the browser's storage; `run_history` is
off); « Nouvelle conversation » empties it and asks the server to forget the conversation.
Earlier turns get their element ids prefixed (`t2-ia-cit-1`), so the [n] markers of every turn
lead to their own cards.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.base.tuning import CONVERSATION_TURNS
from assistant.ui.render import esc

_IDS = re.compile(r'(id="|href="#)(ia-cit-\d+)')


def turn_header_html(question: str, response: Mapping[str, Any] | None) -> str:
    """The agent's question, and for a follow-up the question understood and what changed (escaped)."""
    parts = [f'<p class="ia-asked"><strong>Votre question :</strong> {esc(question)}</p>']
    if response and response.get("followup") and response.get("understood_question"):
        parts.append(
            f'<p class="ia-understood"><strong>Question comprise :</strong> {esc(response["understood_question"])} '
            "<em>(reformulez votre question si ce n'est pas ce que vous vouliez dire)</em></p>"
        )
    changes = [str(c) for c in (response or {}).get("changes") or []]
    if changes:
        items = "".join(f"<li>{esc(c)}</li>" for c in changes)
        parts.append(f'<section aria-label="Ce que l\'hypothèse change"><ul class="ia-changes">{items}</ul></section>')
    return '<div class="ia-root" lang="fr">' + "".join(parts) + "</div>"


def turn_html(question: str, response: Mapping[str, Any] | None, body: str) -> str:
    """One turn: its header, then the body (the answer, its partial text while streaming, or a message)."""
    return turn_header_html(question, response) + body


def archived(turn: str, n: int) -> str:
    """A finished turn moved up the thread: its ids prefixed so that they stay unique on the page."""
    return _IDS.sub(lambda m: f"{m.group(1)}t{n}-{m.group(2)}", turn)


def thread_html(turns: Sequence[str]) -> str:
    """The earlier turns, oldest first, each in its own region ('' when there are none)."""
    if not turns:
        return ""
    items = "".join(
        f'<section class="ia-turn" aria-label="Tour {i}">{t}</section><hr class="ia-turn-sep">'
        for i, t in enumerate(turns, 1)
    )
    return f'<div class="ia-root ia-thread" lang="fr"><h2>Conversation en cours</h2>{items}</div>'


def kept(turns: Sequence[str], new: str, n: int) -> list[str]:
    """The thread with `new` (the n-th turn) archived at its end, bounded like the server's conversation."""
    out = [*turns, archived(new, n)]
    return out[-CONVERSATION_TURNS:]


def rated_turns(answers: Mapping[str, Any], n: int, question: str, answer_id: str | None) -> dict[str, Any]:
    """The turns a rating can be given to ({label: answer_id}), the n-th added, bounded like the thread."""
    short = question if len(question) <= 60 else question[:59] + "…"
    out = {**answers, f"Tour {n} : {short}": answer_id}
    return dict(list(out.items())[-CONVERSATION_TURNS:])


def rated(state: Mapping[str, Any] | None, which: str | None) -> Mapping[str, Any] | None:
    """The state a rating applies to: the chosen turn's answer, else the last one."""
    answers = (state or {}).get("answers") or {}
    if which and which in answers:
        return {"answer_id": answers[which]}
    return state


__all__ = ["archived", "kept", "rated", "rated_turns", "thread_html", "turn_header_html", "turn_html"]
