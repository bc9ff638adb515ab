"""Conversations in PostgreSQL (ASSISTANT_DATABASE_URL): the `Conversations` of conversation.py for
several API workers, so a follow-up that reaches another worker than the first question finds its
conversation.

One row per conversation in the table `conversations` (migrations/0003_register_conversations.sql):
its owner, the last turns (jsonb, at most `CONVERSATION_TURNS`), the turns answered so far, the
time it was last used (`touched`, epoch seconds of the workers' clocks: several machines keep them
synchronised, as the audit timestamps already need) and a sequence number of that use (`used`,
from the database: the least recently used goes first, in one order for every worker). The bounds
are the memory store's, for the whole installation: turns per conversation, `CONVERSATIONS_MAX`
conversations, `CONVERSATION_TTL_S` of age.

Personal data: a turn holds the question as typed (the audit trail's copy is redacted, not this
one: the next follow-up is resolved from it). So this is not an audit table and nothing here is
kept for long: a row untouched for the conversation lifetime is deleted (at every new, get and
count), so is the least recently used beyond the bound, and so is a conversation its user forgets
(`DELETE /v1/conversations/{id}`). The database's backups hold what it held at backup time: keep
their retention in mind (deploy/README.md).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields
from typing import Any

from assistant.answer.followup import Turn
from assistant.base.errors import RefusedError
from assistant.base.tuning import CONVERSATION_TTL_S, CONVERSATION_TURNS, CONVERSATIONS_MAX
from assistant.core.conversation import UNKNOWN, Conversation
from assistant.ops.db import Database, describe, one

_TUPLES = {f.name for f in fields(Turn) if isinstance(f.default, tuple)}
_KNOWN = {f.name for f in fields(Turn)}


def turn_to_json(turn: Turn) -> dict[str, Any]:
    return asdict(turn)


def turn_from_json(data: Mapping[str, Any]) -> Turn:
    """A stored turn (fields a newer version added are ignored, those it lacks take their default)."""
    kept: dict[str, Any] = {k: (tuple(v) if k in _TUPLES else v) for k, v in data.items() if k in _KNOWN}
    return Turn(**kept)


class PgConversationStore:
    """Conversations in PostgreSQL, bounded (turns, number, age), shared by every worker."""

    def __init__(
        self,
        db: Database,
        *,
        max_conversations: int = CONVERSATIONS_MAX,
        ttl_s: float = CONVERSATION_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.path = describe(db.url)
        self.max_conversations = max_conversations
        self.ttl_s = ttl_s
        self._clock = clock

    def _expire(self, conn: Any, now: float) -> None:
        conn.execute("DELETE FROM conversations WHERE touched < %s", [now - self.ttl_s])

    def _conversation(self, cid: str, owner: str, touched: float, count: int, turns: list) -> Conversation:
        conv = Conversation(cid, owner, touched)
        conv.turns.extend(turn_from_json(t) for t in turns)
        conv.count = int(count)
        return conv

    def __len__(self) -> int:
        with self.db.transaction() as conn:
            self._expire(conn, self._clock())
            return int(one(conn.execute("SELECT COUNT(*) FROM conversations"))[0])

    def new(self, owner: str, turns: Sequence[Turn] = ()) -> Conversation:
        now = self._clock()
        conv = Conversation(uuid.uuid4().hex, owner, now)
        for t in turns:
            conv.add(t)
        with self.db.transaction() as conn:
            self._expire(conn, now)
            conn.execute(
                "INSERT INTO conversations (id, owner, touched, used, count, turns) "
                "VALUES (%s, %s, %s, nextval('conversations_use'), %s, %s::jsonb)",
                [conv.id, owner, now, conv.count, json.dumps([turn_to_json(t) for t in conv.turns])],
            )
            conn.execute(  # the least recently used beyond the bound go first
                "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations ORDER BY used DESC OFFSET %s)",
                [self.max_conversations],
            )
        return conv

    def get(self, owner: str, conversation_id: str) -> Conversation:
        now = self._clock()
        with self.db.transaction() as conn:
            self._expire(conn, now)
            row = conn.execute(
                "UPDATE conversations SET touched = %s, used = nextval('conversations_use') "
                "WHERE id = %s AND owner = %s RETURNING count, turns",
                [now, conversation_id, owner],
            ).fetchone()
        if row is None:
            raise RefusedError(404, "not_found", UNKNOWN)
        return self._conversation(conversation_id, owner, now, row[0], row[1])

    def add(self, conv: Conversation, turn: Turn) -> None:
        """One turn more, read-modify-write under the row's lock (two workers may add to one conversation)."""
        now = self._clock()
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT count, turns FROM conversations WHERE id = %s AND owner = %s FOR UPDATE",
                [conv.id, conv.owner],
            ).fetchone()
            if row is None:  # expired or forgotten while the turn was answered: as in memory, not kept
                conv.add(turn)
                return
            kept = deque((turn_from_json(t) for t in row[1]), maxlen=CONVERSATION_TURNS)
            kept.append(turn)
            conn.execute(
                "UPDATE conversations SET count = %s, turns = %s::jsonb, touched = %s, "
                "used = nextval('conversations_use') WHERE id = %s",
                [int(row[0]) + 1, json.dumps([turn_to_json(t) for t in kept]), now, conv.id],
            )
        conv.turns = kept
        conv.count = int(row[0]) + 1
        conv.touched = now

    def forget(self, owner: str, conversation_id: str) -> bool:
        with self.db.transaction() as conn:
            gone = conn.execute(
                "DELETE FROM conversations WHERE id = %s AND owner = %s", [conversation_id, owner]
            ).rowcount
        return bool(gone)


__all__ = ["PgConversationStore", "turn_from_json", "turn_to_json"]
