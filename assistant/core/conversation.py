"""Conversations: follow-up questions that keep the thread, as grounded as first questions.

    question + conversation (or an explicit history)
        → answer/followup.py resolve()     the standalone question, by code (« Question comprise : … »)
        → Service.ask(understood)          retrieval, abstention, scope, injection: as for any question
          or, for « et si … » after an assessment (or a question describing a use):
          Service.assess(description, facts=changed) and what changed (assess/change.py)
        → the turn kept: question, understood question, answer id, cited refs, verdict, level, facts

State lives behind `Conversations`, bounded in turns per conversation, in conversations, and in
age: in memory (`ConversationStore`, the default: never written to disk) or, when several workers
serve the API (ASSISTANT_DATABASE_URL), in PostgreSQL (`conversation_pg.PgConversationStore`: a
follow-up reaching another worker finds its conversation; expired rows are deleted). The audit
trail keeps its own redacted row per turn, with the conversation id. A conversation belongs to the
user who opened it: any other user, or an expired or unknown id, gets the same « conversation
inconnue ». `core/stores.py` picks the store.

Stateless use: the caller sends `history` (its earlier questions and their answer ids); the
turns are rebuilt from it, the cited refs read back from the caller's own audit rows.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.answer.followup import Resolution, Turn, related, resolve, sanitised
from assistant.answer.result import Response
from assistant.assess.change import changed_facts, facts_of_cited, verdict_level, what_changed
from assistant.assess.riskmap import about_ai_use
from assistant.base.errors import InputError, RefusedError
from assistant.base.tuning import CONVERSATION_TTL_S, CONVERSATION_TURNS, CONVERSATIONS_MAX
from assistant.core.service import MAX_QUESTION_CHARS, Service
from assistant.search.retrieve import named_refs

MAX_HISTORY = CONVERSATION_TURNS
UNKNOWN = (
    "Conversation inconnue ou expirée : commencez une nouvelle conversation (sans conversation_id), "
    "ou envoyez l'historique (history)."
)


@dataclass
class Conversation:
    id: str
    owner: str
    touched: float
    turns: deque[Turn] = field(default_factory=lambda: deque(maxlen=CONVERSATION_TURNS))
    count: int = 0  # turns answered so far (the deque keeps the last ones)

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)
        self.count += 1


class Conversations(Protocol):
    """Where conversations live (every implementation: the same bounds, the same owner check)."""

    def new(self, owner: str, turns: Sequence[Turn] = ()) -> Conversation:
        """A new conversation of `owner`, with `turns` already answered (an explicit history)."""
        ...

    def get(self, owner: str, conversation_id: str) -> Conversation:
        """The owner's conversation, touched; RefusedError 404 for an unknown, expired or someone else's id."""
        ...

    def add(self, conv: Conversation, turn: Turn) -> None:
        """Keep an answered turn: in `conv`, and in the store unless the conversation expired or was
        forgotten while the turn was answered (then it is not brought back)."""
        ...

    def forget(self, owner: str, conversation_id: str) -> bool: ...

    def __len__(self) -> int:
        """Conversations kept (the expired ones are not counted)."""
        ...


class ConversationStore:
    """Conversations in memory, bounded (turns, number, age); thread-safe (one process)."""

    def __init__(
        self,
        *,
        max_conversations: int = CONVERSATIONS_MAX,
        ttl_s: float = CONVERSATION_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_conversations = max_conversations
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[str, Conversation] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    def _expire(self) -> None:
        now = self._clock()
        for cid in [cid for cid, c in self._items.items() if now - c.touched > self.ttl_s]:
            del self._items[cid]

    def new(self, owner: str, turns: Sequence[Turn] = ()) -> Conversation:
        conv = Conversation(uuid.uuid4().hex, owner, self._clock())
        for t in turns:
            conv.add(t)
        with self._lock:
            self._expire()
            self._items[conv.id] = conv
            while len(self._items) > self.max_conversations:
                self._items.popitem(last=False)
        return conv

    def get(self, owner: str, conversation_id: str) -> Conversation:
        """The owner's conversation; RefusedError 404 for an unknown, expired or someone else's id."""
        with self._lock:
            self._expire()
            conv = self._items.get(conversation_id)
            if conv is None or conv.owner != owner:
                raise RefusedError(404, "not_found", UNKNOWN)
            conv.touched = self._clock()
            self._items.move_to_end(conversation_id)
            return conv

    def add(self, conv: Conversation, turn: Turn) -> None:
        with self._lock:
            conv.add(turn)
            conv.touched = self._clock()
            if self._items.get(conv.id) is conv:
                self._items.move_to_end(conv.id)

    def forget(self, owner: str, conversation_id: str) -> bool:
        with self._lock:
            conv = self._items.get(conversation_id)
            if conv is None or conv.owner != owner:
                return False
            del self._items[conversation_id]
            return True


# ---------------------------------------------------------------------- one turn


@dataclass
class Exchange:
    """A turn answered: the result, how the question was understood, what an « et si » changed."""

    response: Response
    resolution: Resolution
    kind: str = "ask"  # ask | assess
    description: str = ""
    facts: dict = field(default_factory=dict)
    changes: list[str] = field(default_factory=list)

    def fields(self, conv: Conversation) -> dict[str, Any]:
        """What the JSON of a turn adds to the ask/assess contract."""
        r = self.resolution
        return {
            "question": r.question,
            "conversation_id": conv.id,
            "turn": conv.count + 1,
            "followup": r.followup,
            "understood_question": r.understood,
            "carried_refs": list(r.carried),
            "changes": list(self.changes),
        }

    def turn(self, out: Mapping[str, Any]) -> Turn:
        """The turn as the conversation keeps it, read from the JSON served (whatever built it)."""
        cites = [c for c in out.get("citations") or [] if isinstance(c, Mapping)]
        return Turn(
            question=self.resolution.question,
            understood=self.resolution.understood,
            topic=self.resolution.topic,
            answer_id=out.get("answer_id"),
            refs=tuple(f"{c.get('doc_id')}:{c.get('ref')}" for c in cites),
            labels=tuple(str(c.get("label") or c.get("ref")) for c in cites),
            verdict=out.get("verdict"),
            abstained=bool(out.get("abstained")),
            kind=self.kind,
            description=self.description,
            facts=dict(self.facts),
            level=out.get("risk_level"),
            grounds=tuple(
                str(g.get("id"))
                for g in out.get("grounds") or []
                if isinstance(g, Mapping) and g.get("kind") != "possible"
            ),
        )


def _reassess(turn: Turn, changed: Mapping[str, object]) -> bool:
    """« Et si … » re-runs an assessment: after an assessment, or after a question describing a use
    of AI when the change states a fact the cues recognise (else it is a question like another)."""
    if turn.kind == "assess":
        return True
    return bool(changed) and not turn.abstained and about_ai_use(turn.question)


def converse(
    service: Service, turns: Sequence[Turn], question: str, *, on_token: Callable[[str], None] | None = None
) -> Exchange:
    """Answer one question of a conversation (ask, or an assessment re-run for « et si … »)."""
    question = (question or "").strip()
    if not question:
        raise InputError("La question est vide : écrivez une question en français.")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"La question dépasse {MAX_QUESTION_CHARS} caractères : raccourcissez-la.")
    res = resolve(question, turns)
    if len(res.understood) > MAX_QUESTION_CHARS:  # a long follow-up: asked as typed
        res = Resolution(question, question, sanitised(question) or question)
    previous = turns[-1] if turns else None
    changed = changed_facts(res.change) if res.what_if else {}
    if res.what_if and previous is not None and _reassess(previous, changed):
        description = previous.description or previous.question
        if not changed:  # nothing recognised: the words of the change join the description
            description = f"{description}\n{res.change}"
        seeded = {} if previous.kind == "assess" else facts_of_cited(previous.refs, verdict_level(previous.verdict))
        facts = {**seeded, **previous.facts, **changed}
        result = service.assess(description, on_token=on_token, facts=facts or None)
        out = result.to_json()
        before = previous.level or verdict_level(previous.verdict)
        changes = what_changed(before, previous.grounds, str(out.get("risk_level")), out.get("grounds") or [], changed)
        return Exchange(result, res, "assess", description, facts, changes)
    leave_out = earlier_provisions(res.question, previous)
    extra = {"leave_out": leave_out} if leave_out else {}
    return Exchange(service.ask(res.understood, on_token=on_token, **extra), res)


def earlier_provisions(question: str, previous: Turn | None) -> list[str]:
    """What the previous turn cited, when the question names another provision (never to be cited again)."""
    named = named_refs(question)
    if previous is None or not named:
        return []
    return [r for r in previous.refs if not any(related(r, n) for n in named)]


def assess_turn(
    service: Service, turns: Sequence[Turn], description: str, *, on_token: Callable[[str], None] | None = None
) -> Exchange:
    """An assessment asked in a conversation: assessed as it is, kept as the turn « et si » can change."""
    result = service.assess(description, on_token=on_token)
    text = (description or "").strip()
    return Exchange(result, Resolution(text, text, sanitised(text) or text), "assess", text)


# ---------------------------------------------------------------------- stateless: an explicit history


def turns_from_history(
    history: Sequence[Mapping[str, Any]],
    *,
    answer_row: Callable[[str], Mapping[str, Any] | None],
    owner: str,
    label: Callable[[str], str],
) -> list[Turn]:
    """Turns rebuilt from a caller's history: its questions, resolved in order by code, and the refs
    its own audit rows hold for the answer ids (a row of another user, or none, gives no refs)."""
    if len(history) > MAX_HISTORY:
        history = history[-MAX_HISTORY:]
    turns: list[Turn] = []
    for item in history:
        question = str(item.get("question") or "").strip()[:MAX_QUESTION_CHARS]
        if not question:
            raise InputError("Historique invalide : chaque tour doit avoir sa question (champ question).")
        answer_id = item.get("answer_id")
        row = answer_row(str(answer_id)) if answer_id else None
        mine = row is not None and row.get("user") == owner
        refs = tuple(str(r) for r in (row or {}).get("refs") or []) if mine else ()
        kind = "assess" if mine and "assess" in str((row or {}).get("endpoint", "")) else "ask"
        res = resolve(question, turns)
        turns.append(
            Turn(
                question=question,
                understood=res.understood,
                topic=res.topic,
                answer_id=str(answer_id) if answer_id else None,
                refs=refs,
                labels=tuple(label(r) for r in refs),
                abstained=bool((row or {}).get("abstained")) if mine else False,
                kind=kind,
                description=question if kind == "assess" else "",
            )
        )
    return turns


__all__ = [
    "Conversation",
    "ConversationStore",
    "Conversations",
    "Exchange",
    "assess_turn",
    "converse",
    "earlier_provisions",
    "turns_from_history",
]
