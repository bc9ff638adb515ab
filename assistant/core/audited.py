"""The one audited path: every request of a user, from the API, the UI or the CLI, goes through `Gateway`.

    entry point (web route, UI handler, CLI command)
        → Gateway.<operation>(caller, …)   exactly one audit row: on success, or with the status
          │                               the error maps to (base/errors.py); then the metrics
          → Service.<operation>(…)        the work itself

`Caller` says who asks and through which door (audit pseudonym, endpoint label, channel);
`Session` is the gateway bound to one caller's identity, with the Service's signatures (what
the UI and the CLI hold). Requests an entry point refuses before calling the gateway (API
authentication, validation, queue full) are audited by that entry point. Evaluation runs
(`assistant eval …`) and the preparation of training material call the Service directly:
they are measurements and batch work, not requests of a user, and write no audit row.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from assistant.answer.result import Response
from assistant.base.errors import RefusedError, error_status, log_failure
from assistant.base.settings import Settings
from assistant.core.conversation import UNKNOWN as UNKNOWN_CONVERSATION
from assistant.core.conversation import (
    Conversation,
    Conversations,
    ConversationStore,
    Exchange,
    assess_turn,
    converse,
    turns_from_history,
)
from assistant.core.service import Service
from assistant.ops.audit import AuditTrail
from assistant.ops.metrics import Metrics
from assistant.ops.stores import open_audit
from assistant.training.quiz import Item

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_REF_CHARS = 100  # a unit's doc_id and ref are bounded before any lookup


@dataclass(frozen=True)
class Caller:
    """Who makes a request and through which door: what its audit row and metrics say."""

    user: str  # audit pseudonym: the key's, "local" (auth off, loopback) or "cli"
    endpoint: str  # audit label: "POST /v1/ask", "UI /ui assess", "CLI search"
    channel: str = "api"  # metrics label: api, ui, cli
    started: float = field(default_factory=time.perf_counter)  # the latency runs from here

    def latency_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


class Gateway:
    """The Service behind an audit row and metrics for each request."""

    def __init__(
        self,
        service: Service,
        audit: AuditTrail,
        metrics: Metrics | None = None,
        conversations: Conversations | None = None,
    ):
        self.service = service
        self.audit = audit
        self.metrics = metrics
        self.conversations: Conversations = conversations if conversations is not None else ConversationStore()

    # ------------------------------------------------------------------ answers

    def ask(
        self,
        caller: Caller,
        question: str,
        *,
        on_token: Callable[[str], None] | None = None,
        conversation_id: str | None = None,
        history: Sequence[dict] | None = None,
    ) -> dict:
        """An answer, as a turn of a conversation (a new one unless `conversation_id` or `history` is given)."""
        return self._turn(caller, "ask", question, on_token, conversation_id, history)

    def assess(
        self,
        caller: Caller,
        description: str,
        *,
        on_token: Callable[[str], None] | None = None,
        conversation_id: str | None = None,
        history: Sequence[dict] | None = None,
    ) -> dict:
        return self._turn(caller, "assess", description, on_token, conversation_id, history)

    def _turn(
        self,
        caller: Caller,
        operation: str,
        text: str,
        on_token: Callable[[str], None] | None,
        conversation_id: str | None,
        history: Sequence[dict] | None,
    ) -> dict:
        """One audited turn: the conversation opened (an unknown id is refused and audited), the turn
        answered (core/conversation.py), its row with the conversation id, then the turn kept."""
        done: list[Exchange] = []
        opened: list[Conversation] = []
        store = self.conversations

        def call() -> Response:
            if conversation_id:
                conv = store.get(caller.user, conversation_id)
            else:
                turns = turns_from_history(
                    history or [], answer_row=self.audit.answer_row, owner=caller.user, label=self._ref_label
                )
                conv = store.new(caller.user, turns)
            run = converse if operation == "ask" else assess_turn
            done.append(run(self.service, list(conv.turns), text, on_token=on_token))
            opened.append(conv)
            return done[0].response

        out = self._answer(caller, operation, text, call, lambda: done[0].fields(opened[0]))
        store.add(opened[0], done[0].turn(out))
        return out

    def open_conversation(self, caller: Caller) -> dict:
        """A new, empty conversation of this user (its turns come with the questions)."""
        conv = self._run(caller, "conversation", lambda: self.conversations.new(caller.user), {})
        self._done(caller, "conversation", 201, conversation_id=conv.id)
        return {"conversation_id": conv.id}

    def forget_conversation(self, caller: Caller, conversation_id: str) -> None:
        """Forget a conversation of this user (RefusedError 404 for an unknown one or someone else's)."""

        def call() -> None:
            if not self.conversations.forget(caller.user, conversation_id):
                raise RefusedError(404, "not_found", UNKNOWN_CONVERSATION)

        fields = {"conversation_id": conversation_id}
        self._run(caller, "forget_conversation", call, fields)
        self._done(caller, "forget_conversation", 204, **fields)

    def _ref_label(self, key: str) -> str:
        doc_id, _, ref = key.partition(":")
        chunk = self.service.index.chunk_by_key(doc_id, ref)
        return chunk.label if chunk else ref

    def _answer(
        self,
        caller: Caller,
        operation: str,
        text: str,
        call: Callable[[], Response],
        extra: Callable[[], dict] | None = None,
    ) -> dict:
        """The result in its JSON form (the contract every entry point serves), with its answer_id
        (and the fields of its conversation turn)."""
        result = self._run(caller, operation, call, {"question": text})
        out = {"answer_id": str(uuid.uuid4()), **result.to_json(), **(extra() if extra else {})}
        try:  # no row, no answer: a failed write ends the request as an internal error
            self.audit.record_answer(
                user=caller.user,
                endpoint=caller.endpoint,
                status=200,
                question=text,
                out=out,
                latency_ms=caller.latency_ms(),
            )
        except Exception:
            self._count(caller, operation, 500)
            raise
        self._count(caller, operation, 200)
        if self.metrics is not None:
            self.metrics.observe_answer(out)
        return out

    # ------------------------------------------------------------------ texts, training, feedback

    def search(
        self, caller: Caller, query: str, *, k: int = 5, docs: Sequence[str] | None = None, lang: str | None = None
    ) -> dict:
        out = self._run(
            caller, "search", lambda: self.service.search(query, k=k, docs=docs, lang=lang), {"question": query}
        )
        self._done(caller, "search", 200, question=query, refs=[f"{r['doc_id']}:{r['ref']}" for r in out["results"]])
        return out

    def documents(self, caller: Caller) -> list[dict]:
        out = self._run(caller, "documents", self.service.documents, {})
        self._done(caller, "documents", 200)
        return out

    def unit(self, caller: Caller, doc_id: str, ref: str) -> dict:
        """The exact passage of a ref; RefusedError 404 when there is none."""

        def call() -> dict:
            found = self.service.unit(doc_id, ref) if max(len(doc_id), len(ref)) <= MAX_REF_CHARS else None
            if found is None:
                raise RefusedError(
                    404,
                    "not_found",
                    f"Aucun passage « {ref[:MAX_REF_CHARS]} » dans le document « {doc_id[:MAX_REF_CHARS]} » : "
                    "vérifiez la référence (liste des documents : /v1/documents).",
                )
            return found

        fields = {"refs": [f"{doc_id}:{ref}"]}
        out = self._run(caller, "unit", call, fields)
        self._done(caller, "unit", 200, **fields)
        return out

    def quiz(
        self,
        caller: Caller,
        topics: Sequence[str],
        n: int = 10,
        level: str | None = None,
        seed: int | str | None = None,
    ) -> tuple[list[Item], list[str]]:
        """Quiz items and their notes (Service.quiz); the row names the topics and the cited passages."""
        asked = f"quiz, {n} question(s) : {', '.join(topics)}" + (f" (niveau {level})" if level else "")
        items, notes = self._run(caller, "quiz", lambda: self.service.quiz(topics, n, level, seed), {"question": asked})
        refs = [f"{it.citation.get('doc_id')}:{it.citation.get('ref')}" for it in items]
        self._done(caller, "quiz", 200, question=asked, refs=refs)
        return items, notes

    def feedback(self, caller: Caller, answer_id: str | None, useful: bool, comment: str = "") -> dict:
        """Store a rating of an answer this audit trail holds (comment redacted); 404 for an unknown answer."""

        def call() -> dict:
            if not answer_id or not self.audit.has_answer(answer_id):
                raise RefusedError(404, "not_found", "Réponse inconnue : indiquez l'answer_id renvoyé avec la réponse.")
            return self.audit.add_feedback(user=caller.user, answer_id=answer_id, useful=useful, comment=comment)

        fields = {"answer_id": answer_id}
        row = self._run(caller, "feedback", call, fields)
        self._done(caller, "feedback", 201, **fields)
        return row

    def run(self, caller: Caller, operation: str, call: Callable[[], T], **fields: Any) -> T:
        """Any other request (administration reads): one row with `fields` (see AuditTrail.record)."""
        out = self._run(caller, operation, call, fields)
        self._done(caller, operation, 200, **fields)
        return out

    def change(
        self,
        caller: Caller,
        operation: str,
        call: Callable[[], T],
        named: Callable[[T], dict[str, Any]],
        *,
        status: int = 200,
        **fields: Any,
    ) -> T:
        """A change of a record (the register of AI uses): one row, whose fields `named(result)` completes
        with what the call created or changed (its id and version)."""
        out = self._run(caller, operation, call, fields)
        self._done(caller, operation, status, **(fields | named(out)))
        return out

    def refuse(self, caller: Caller, operation: str, error: Exception, **fields: Any) -> None:
        """A request refused at the door (a revoked key): its row, then the error."""
        self._run(caller, operation, lambda: _raise(error), fields)

    def session(self, user: str, *, channel: str, prefix: str, refusal: Exception | None = None) -> Session:
        return Session(self, user, channel=channel, prefix=prefix, refusal=refusal)

    # ------------------------------------------------------------------ rows and metrics

    def _run(self, caller: Caller, operation: str, call: Callable[[], T], fields: dict) -> T:
        """Run the request; on failure write its row with the error's status, then re-raise."""
        try:
            return call()
        except Exception as exc:
            status, _code = error_status(exc)
            try:
                self.audit.record(
                    user=caller.user, endpoint=caller.endpoint, status=status, latency_ms=caller.latency_ms(), **fields
                )
            except Exception as write_error:  # the request's own error is what the caller must see
                log_failure(log, "Écriture de l'audit impossible", write_error)
            self._count(caller, operation, status)
            raise

    def _done(self, caller: Caller, operation: str, status: int, **fields: Any) -> None:
        try:
            self.audit.record(
                user=caller.user, endpoint=caller.endpoint, status=status, latency_ms=caller.latency_ms(), **fields
            )
        except Exception:
            self._count(caller, operation, 500)
            raise
        self._count(caller, operation, status)

    def _count(self, caller: Caller, operation: str, status: int) -> None:
        if self.metrics is not None:
            self.metrics.observe_call(caller.channel, operation, status)


def _raise(error: Exception) -> Any:
    raise error


class Session:
    """The gateway bound to one user and entry point, with the Service's signatures.

    Only requests are here (each one audited): no attribute of the Service passes through.
    `refusal`: every request is refused with this error (and audited), e.g. a revoked key.
    """

    def __init__(self, gateway: Gateway, user: str, *, channel: str, prefix: str, refusal: Exception | None = None):
        self.gateway = gateway
        self.user = user
        self.channel = channel
        self.prefix = prefix
        self.refusal = refusal

    def caller(self, operation: str) -> Caller:
        return Caller(self.user, f"{self.prefix} {operation}", self.channel)

    def _door(self, operation: str, **fields: Any) -> Caller:
        caller = self.caller(operation)
        if self.refusal is not None:
            self.gateway.refuse(caller, operation, self.refusal, **fields)
        return caller

    def ask(
        self, question: str, *, on_token: Callable[[str], None] | None = None, conversation_id: str | None = None
    ) -> dict:
        return self.gateway.ask(
            self._door("ask", question=question), question, on_token=on_token, conversation_id=conversation_id
        )

    def assess(
        self, description: str, *, on_token: Callable[[str], None] | None = None, conversation_id: str | None = None
    ) -> dict:
        return self.gateway.assess(
            self._door("assess", question=description), description, on_token=on_token, conversation_id=conversation_id
        )

    def search(self, query: str, k: int = 5, docs: Sequence[str] | None = None, lang: str | None = None) -> dict:
        return self.gateway.search(self._door("search", question=query), query, k=k, docs=docs, lang=lang)

    def quiz(
        self, topics: Sequence[str], n: int = 10, level: str | None = None, seed: int | str | None = None
    ) -> tuple[list[Item], list[str]]:
        return self.gateway.quiz(self._door("quiz"), topics, n, level, seed)

    def feedback(self, answer_id: str | None, useful: bool, comment: str = "") -> dict:
        return self.gateway.feedback(self._door("feedback", answer_id=answer_id), answer_id, useful, comment)

    def forget_conversation(self, conversation_id: str) -> None:
        fields = {"conversation_id": conversation_id}
        self.gateway.forget_conversation(self._door("forget_conversation", **fields), conversation_id)


CLI_USER = "cli"


@contextlib.contextmanager
def cli_session(settings: Settings, service: Service | None = None) -> Iterator[Session]:
    """The CLI's interactive requests (ask, assess, search, quiz), audited as user "cli"."""
    audit = open_audit(settings)
    try:
        yield Gateway(service or Service(settings), audit).session(CLI_USER, channel="cli", prefix="CLI")
    finally:
        audit.close()


__all__ = ["CLI_USER", "Caller", "Gateway", "Session", "cli_session"]
