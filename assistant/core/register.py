"""The register's service desk: every read and change of the register of AI uses, for the API, the UI
and the CLI, through the audited gateway (one audit row per request, the description and the
reasons redacted like questions, the pseudonymous user, the entry and version in `refs`).

    RegisterDesk.<operation>(caller, actor, …)   caller: the audit row (core/audited.py Caller)
                                                 actor: who acts, with which role (lifecycle.Actor)
    RegisterSession                              the desk bound to one person (core/access.py RegisterSessions)

The rules (who may do what, in which state) are in register/lifecycle.py; the storage in
register/store.py (SQLite) or register/store_pg.py (PostgreSQL), chosen by core/stores.py; the
published register and the fiches in register/export.py. A change is committed to the register
first, then its audit row is written: the register's own history also holds the user, the action
and the time of each version, so a crash between the two writes leaves no change unattributed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.base.errors import AssistantError, RefusedError
from assistant.base.settings import Settings
from assistant.core.audited import Caller, Gateway
from assistant.core.stores import open_register
from assistant.ops.keys import role_allows
from assistant.register import export, lifecycle
from assistant.register.entry import MAX_TEXT, Entry, clean
from assistant.register.lifecycle import Actor
from assistant.register.store import Repository

FORMATS = ("html", "csv", "json")


def _refs(entry: Entry) -> dict[str, Any]:
    return {"refs": [f"registre:{entry.id}:v{entry.version}"]}


class RegisterDesk:
    def __init__(self, gateway: Gateway, store: Repository):
        self.gateway = gateway
        self.store = store

    # ------------------------------------------------------------------ views

    def view(self, actor: Actor, entry: Entry) -> dict[str, Any]:
        """What `actor` may see of `entry`: all of it (its agent, the référent), an anonymised case (trainers)."""
        if lifecycle.may_read(actor, entry):
            return entry.to_json() | {"level_title": entry.level_title, "state_label": entry.state_label}
        if role_allows(actor.role, "trainer") and entry.state != "draft":
            return entry.anonymised()
        raise RefusedError(403, "forbidden", f"L'entrée {entry.id} n'est visible que de son agent et du référent IA.")

    def _entry(self, entry_id: str) -> Entry:
        entry = self.store.get(str(entry_id)[:40])
        if entry is None:
            raise RefusedError(404, "not_found", f"Aucune entrée « {str(entry_id)[:40]} » dans le registre.")
        return entry

    # ------------------------------------------------------------------ reads

    def entries(self, caller: Caller, actor: Actor) -> list[dict[str, Any]]:
        def call() -> list[dict[str, Any]]:
            current = self.corpus_version()
            out = []
            for e in reversed(self.store.latest()):
                try:
                    view = self.view(actor, e)
                except RefusedError:
                    continue
                view.pop("assessment", None)  # the list stays light: the full assessment is in get()
                view["corpus_changed"] = bool(current) and e.state != "withdrawn" and e.corpus_version != current
                out.append(view)
            return out

        return self.gateway.run(caller, "register_list", call)

    def get(self, caller: Caller, actor: Actor, entry_id: str) -> dict[str, Any]:
        return self.gateway.run(
            caller, "register_get", lambda: self.view(actor, self._entry(entry_id)), refs=[f"registre:{entry_id}"]
        )

    def _history(self, actor: Actor, entry_id: str) -> list[dict[str, Any]]:
        entry = self._entry(entry_id)
        if not lifecycle.may_read(actor, entry):
            raise RefusedError(
                403, "forbidden", f"L'historique de {entry.id} est réservé à son agent et au référent IA."
            )
        return [
            {
                "version": v.entry.version,
                "ts": v.ts,
                "action": v.action,
                "state": v.entry.state,
                "level": v.entry.level,
                "decision": v.entry.decision.outcome if v.entry.decision else None,
            }
            for v in self.store.history(entry.id)
        ]

    def history(self, caller: Caller, actor: Actor, entry_id: str) -> list[dict[str, Any]]:
        """Every version of an entry (its agent and the référent): action, date, state, level, decision."""
        return self.gateway.run(
            caller, "register_history", lambda: self._history(actor, entry_id), refs=[f"registre:{entry_id}"]
        )

    def detail(self, caller: Caller, actor: Actor, entry_id: str) -> dict[str, Any]:
        """One read (one audit row) for a screen: the view, and for its agent and the référent the
        history and the fiche (HTML)."""

        def call() -> dict[str, Any]:
            entry = self._entry(entry_id)
            view = self.view(actor, entry)
            if not lifecycle.may_read(actor, entry):
                return {"view": view, "history": None, "fiche": None}
            return {"view": view, "history": self._history(actor, entry_id), "fiche": export.fiche_html(entry)}

        return self.gateway.run(caller, "register_get", call, refs=[f"registre:{entry_id}"])

    def fiche_html(self, caller: Caller, actor: Actor, entry_id: str) -> str:
        def call() -> str:
            entry = self._entry(entry_id)
            self.view(actor, entry)  # the same right as reading it
            return export.fiche_html(entry if lifecycle.may_read(actor, entry) else _anonymous(entry))

        return self.gateway.run(caller, "register_fiche", call, refs=[f"registre:{entry_id}"])

    def fiche_pdf(self, caller: Caller, actor: Actor, entry_id: str, out: Path) -> Path:
        def call() -> Path:
            entry = self._entry(entry_id)
            self.view(actor, entry)
            return export.fiche_pdf(entry if lifecycle.may_read(actor, entry) else _anonymous(entry), out)

        return self.gateway.run(caller, "register_fiche", call, refs=[f"registre:{entry_id}"])

    def public(self, caller: Caller, fmt: str) -> str:
        """The published register in `fmt` (html, csv, json): public fields of approved uses only."""
        if fmt not in FORMATS:
            raise RefusedError(422, "invalid_request", f"Format inconnu « {fmt[:10]} » : html, csv ou json.")

        def call() -> str:
            entries = self.store.latest()
            if fmt == "csv":
                return export.to_csv(entries)
            if fmt == "json":
                return export.to_json(entries, generated=self.store.now())
            return export.to_html(entries)

        return self.gateway.run(caller, "register_public", call, question=f"registre public ({fmt})")

    def corpus_version(self) -> str:
        """The served index's corpus version ("" when no index is loadable)."""
        try:
            return str(self.gateway.service.index.corpus_version)
        except AssistantError:
            return ""

    def stale(self, corpus_version: str) -> list[Entry]:
        """Entries assessed on another corpus version than `corpus_version` (to re-assess)."""
        return [e for e in self.store.latest() if e.state != "withdrawn" and e.corpus_version != corpus_version]

    # ------------------------------------------------------------------ changes

    def create(
        self,
        caller: Caller,
        actor: Actor,
        description: str,
        *,
        title: str = "",
        service: str = "",
        contact_role: str = "",
        assessment: dict[str, Any] | None = None,
    ) -> Entry:
        """A draft entry from an assessment of `description` (run here, audited, when none is given)."""
        text = clean(description, MAX_TEXT, "Description du projet", required=True)
        if assessment is None:
            assessment = self.gateway.assess(replace(caller, endpoint=f"{caller.endpoint} (évaluation)"), text)

        def build(entry_id: str) -> Entry:
            return lifecycle.create(
                actor,
                entry_id,
                self.store.now(),
                description=text,
                assessment=assessment,
                title=title,
                service=service,
                contact_role=contact_role,
            )

        return self.gateway.change(
            caller,
            "register_create",
            lambda: self.store.create(build, user=actor.user),
            _refs,
            status=201,
            question=text,
        )

    def _apply(
        self,
        caller: Caller,
        actor: Actor,
        operation: str,
        entry_id: str,
        step: Callable[[Entry], Entry],
        question: str | None = None,
    ) -> Entry:
        def call() -> Entry:
            return self.store.append(step(self._entry(entry_id)), user=actor.user, action=operation)

        return self.gateway.change(
            caller, f"register_{operation}", call, _refs, refs=[f"registre:{entry_id}"], question=question
        )

    def submit(self, caller: Caller, actor: Actor, entry_id: str) -> Entry:
        return self._apply(caller, actor, "submit", entry_id, lambda e: lifecycle.submit(actor, e, self.store.now()))

    def decide(self, caller: Caller, actor: Actor, entry_id: str, outcome: str, reasons: str) -> Entry:
        return self._apply(
            caller,
            actor,
            "decide",
            entry_id,
            lambda e: lifecycle.decide(actor, e, self.store.now(), outcome=outcome, reasons=reasons),
            question=f"décision {outcome} : {reasons}",
        )

    def set_obligation(
        self, caller: Caller, actor: Actor, entry_id: str, key: str, status: str, note: str = ""
    ) -> Entry:
        return self._apply(
            caller,
            actor,
            "obligation",
            entry_id,
            lambda e: lifecycle.set_obligation(actor, e, self.store.now(), key=key, status=status, note=note),
            question=f"obligation {key} : {status}" + (f" — {note}" if note else ""),
        )

    def edit(self, caller: Caller, actor: Actor, entry_id: str, **fields: str | None) -> Entry:
        return self._apply(
            caller,
            actor,
            "edit",
            entry_id,
            lambda e: lifecycle.edit(actor, e, self.store.now(), **fields),
            question=" ; ".join(f"{k} : {v}" for k, v in fields.items() if v is not None),
        )

    def put_in_service(self, caller: Caller, actor: Actor, entry_id: str) -> Entry:
        return self._apply(
            caller, actor, "in_service", entry_id, lambda e: lifecycle.put_in_service(actor, e, self.store.now())
        )

    def withdraw(self, caller: Caller, actor: Actor, entry_id: str) -> Entry:
        return self._apply(
            caller, actor, "withdraw", entry_id, lambda e: lifecycle.withdraw(actor, e, self.store.now())
        )

    def reassess(self, caller: Caller, actor: Actor, entry_id: str) -> Entry:
        """Assess the entry's description again (audited), keep the changes in level and obligations on it."""
        try:  # refused (and audited) before the model runs
            entry = self._entry(entry_id)
            lifecycle.require_owner_or_decider(actor, entry, "la réévaluer")
        except RefusedError as exc:
            self.gateway.refuse(caller, "register_reassess", exc, refs=[f"registre:{entry_id}"])
            raise
        assessment = self.gateway.assess(replace(caller, endpoint=f"{caller.endpoint} (évaluation)"), entry.description)
        return self._apply(
            caller,
            actor,
            "reassess",
            entry_id,
            lambda e: lifecycle.reassess(actor, e, self.store.now(), assessment),
        )


def _anonymous(entry: Entry) -> Entry:
    return replace(entry, service="", contact_role="", owner="")


class RegisterSession:
    """The desk bound to one person and entry point (the UI's), with the desk's signatures minus caller and actor."""

    def __init__(
        self, desk: RegisterDesk, actor: Actor, *, channel: str, prefix: str, refusal: Exception | None = None
    ):
        self.desk = desk
        self.actor = actor
        self.channel = channel
        self.prefix = prefix
        self.refusal = refusal

    def _caller(self, operation: str) -> Caller:
        caller = Caller(self.actor.user, f"{self.prefix} register {operation}", self.channel)
        if self.refusal is not None:
            self.desk.gateway.refuse(caller, f"register_{operation}", self.refusal)
        return caller

    @property
    def decides(self) -> bool:
        return self.actor.decides

    def entries(self) -> list[dict[str, Any]]:
        return self.desk.entries(self._caller("list"), self.actor)

    def get(self, entry_id: str) -> dict[str, Any]:
        return self.desk.get(self._caller("get"), self.actor, entry_id)

    def history(self, entry_id: str) -> list[dict[str, Any]]:
        return self.desk.history(self._caller("history"), self.actor, entry_id)

    def detail(self, entry_id: str) -> dict[str, Any]:
        return self.desk.detail(self._caller("get"), self.actor, entry_id)

    def fiche_html(self, entry_id: str) -> str:
        return self.desk.fiche_html(self._caller("fiche"), self.actor, entry_id)

    def public(self, fmt: str) -> str:
        return self.desk.public(self._caller("public"), fmt)

    def create(self, description: str, **kw: Any) -> Entry:
        return self.desk.create(self._caller("create"), self.actor, description, **kw)

    def submit(self, entry_id: str) -> Entry:
        return self.desk.submit(self._caller("submit"), self.actor, entry_id)

    def decide(self, entry_id: str, outcome: str, reasons: str) -> Entry:
        return self.desk.decide(self._caller("decide"), self.actor, entry_id, outcome, reasons)

    def set_obligation(self, entry_id: str, key: str, status: str, note: str = "") -> Entry:
        return self.desk.set_obligation(self._caller("obligation"), self.actor, entry_id, key, status, note)

    def put_in_service(self, entry_id: str) -> Entry:
        return self.desk.put_in_service(self._caller("in_service"), self.actor, entry_id)

    def withdraw(self, entry_id: str) -> Entry:
        return self.desk.withdraw(self._caller("withdraw"), self.actor, entry_id)

    def reassess(self, entry_id: str) -> Entry:
        return self.desk.reassess(self._caller("reassess"), self.actor, entry_id)


def open_desk(gateway: Gateway, settings: Settings) -> RegisterDesk:
    """The desk over the store the settings choose (core/stores.py: SQLite, or PostgreSQL)."""
    return RegisterDesk(gateway, open_register(settings))


__all__ = ["FORMATS", "RegisterDesk", "RegisterSession", "open_desk"]
