"""Who may do what to an entry, and in which state: draft → submitted → decided → in service → withdrawn.

Every function takes the acting person (`Actor`: audit pseudonym and role) and the current entry,
and returns the next version of the entry, or raises a French error (403 for a role, 409 for a
state). Nothing here writes: the store appends each returned version (store.py), the desk audits
it (core/register.py).

- An agent creates entries and submits their own; the référent IA (role `referent`) or an
  administrator decides. The assistant never decides: it proposes (level, obligations).
- A decided entry is never edited in place: an edit is a new version that goes back to
  « soumise » and needs a new decision (the previous one stays in the history).
- A re-assessment that changes the level or the obligations of a decided entry marks it
  « à revoir »: it cannot be put in service before the référent decides again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from assistant.base.errors import InputError, RefusedError
from assistant.ops.keys import role_allows
from assistant.ops.redact import redact
from assistant.register.entry import (
    DECISIONS,
    MAX_SHORT,
    MAX_TEXT,
    MAX_TITLE,
    OBLIGATION_STATUS,
    STATE_LABEL,
    Decision,
    Entry,
    Proposal,
    changes,
    clean,
    materially_changed,
)

DECIDER_ROLE = "referent"
ROLE_LABEL = {"referent": "référent IA", "admin": "administrateur"}
APPROVED = ("approved", "approved_with_conditions")


@dataclass(frozen=True)
class Actor:
    user: str  # audit pseudonym (never a name)
    role: str  # agent < trainer < referent < admin

    @property
    def decides(self) -> bool:
        return role_allows(self.role, DECIDER_ROLE)


def _forbidden(message: str) -> RefusedError:
    return RefusedError(403, "forbidden", message)


def _conflict(entry: Entry, what: str) -> RefusedError:
    return RefusedError(409, "conflict", f"Entrée {entry.id} {STATE_LABEL[entry.state]} : {what}.")


def may_read(actor: Actor, entry: Entry) -> bool:
    return actor.decides or entry.owner == actor.user


def require_owner_or_decider(actor: Actor, entry: Entry, what: str) -> None:
    if not may_read(actor, entry):
        raise _forbidden(f"Seul l'agent qui a créé l'entrée {entry.id} ou le référent IA peut {what}.")


def _next(entry: Entry, now: str, **changes_: Any) -> Entry:
    return replace(entry, version=entry.version + 1, updated=now, **changes_)


def create(
    actor: Actor,
    entry_id: str,
    now: str,
    *,
    description: str,
    assessment: Mapping[str, Any],
    title: str = "",
    service: str = "",
    contact_role: str = "",
) -> Entry:
    """Version 1 (a draft) of an entry made from an assessment of `description`."""
    description = clean(description, MAX_TEXT, "Description du projet", required=True)
    proposal = Proposal.of(assessment)
    return Entry(
        id=entry_id,
        version=1,
        state="draft",
        title=clean(title, MAX_TITLE, "Intitulé") or _title_of(description),
        description=description,
        service=clean(service, MAX_SHORT, "Service"),
        contact_role=_contact(actor, contact_role),
        owner=actor.user,
        level=proposal.level,
        grounds=proposal.grounds,
        obligations=proposal.obligations_keeping(()),
        charter=proposal.charter,
        to_clarify=proposal.to_clarify,
        facts=proposal.facts,
        assessment=dict(assessment),
        created=now,
        updated=now,
        corpus_version=proposal.corpus_version,
    )


def _title_of(description: str) -> str:
    first = description.split(". ")[0].strip()
    return first if len(first) <= 80 else first[:79].rsplit(" ", 1)[0] + " …"


def _contact(actor: Actor, contact_role: str) -> str:
    """A role (« chef du service RH »), not a person: names are masked unless an administrator enters them."""
    value = clean(contact_role, MAX_SHORT, "Rôle du contact")
    return value if role_allows(actor.role, "admin") else redact(value)


def edit(
    actor: Actor,
    entry: Entry,
    now: str,
    *,
    title: str | None = None,
    service: str | None = None,
    contact_role: str | None = None,
) -> Entry:
    """Change the descriptive fields; a decided entry goes back to « soumise » for a new decision."""
    require_owner_or_decider(actor, entry, "la modifier")
    if entry.state == "withdrawn":
        raise _conflict(entry, "une entrée retirée ne se modifie plus")
    fields: dict[str, Any] = {}
    if title is not None:
        fields["title"] = clean(title, MAX_TITLE, "Intitulé", required=True)
    if service is not None:
        fields["service"] = clean(service, MAX_SHORT, "Service")
    if contact_role is not None:
        fields["contact_role"] = _contact(actor, contact_role)
    if not fields:
        raise InputError("Aucune modification indiquée.")
    if entry.state in ("decided", "in_service"):
        fields |= {"state": "submitted", "decision": None}
    return _next(entry, now, **fields)


def submit(actor: Actor, entry: Entry, now: str) -> Entry:
    """A draft goes to the référent; so does, again, an entry refused or waiting for its impact
    assessment (once the project or the analysis changed): the earlier decision stays in the history."""
    require_owner_or_decider(actor, entry, "la soumettre")
    resubmit = entry.state == "decided" and entry.decision is not None and entry.decision.outcome not in APPROVED
    if entry.state != "draft" and not resubmit:
        raise _conflict(entry, "seul un brouillon, ou une entrée refusée ou en attente d'analyse d'impact, se soumet")
    return _next(entry, now, state="submitted", decision=None)


def decide(actor: Actor, entry: Entry, now: str, *, outcome: str, reasons: str) -> Entry:
    """The human decision of the référent IA (or an administrator), with its reasons."""
    if not actor.decides:
        raise _forbidden(
            "Seul le référent IA (rôle referent) ou un administrateur décide d'un usage de l'IA : "
            "l'agent soumet son entrée, l'assistant ne fait que proposer."
        )
    if outcome not in DECISIONS:
        raise InputError(f"Décision inconnue « {str(outcome)[:40]} » : {', '.join(DECISIONS)}.")
    reasons = clean(reasons, MAX_TEXT, "Motifs de la décision", required=True)
    redecide = entry.state in ("decided", "in_service") and entry.review_needed
    if entry.state != "submitted" and not redecide:
        raise _conflict(entry, "seule une entrée soumise (ou à revoir après réévaluation) se décide")
    decision = Decision(outcome, reasons, now, ROLE_LABEL.get(actor.role, actor.role), actor.user)
    state = "in_service" if entry.state == "in_service" and outcome in APPROVED else "decided"
    return _next(entry, now, state=state, decision=decision, review_needed=False)


def set_obligation(actor: Actor, entry: Entry, now: str, *, key: str, status: str, note: str = "") -> Entry:
    """Record an obligation's status (à faire, fait, sans objet), dated, with the role of who set it."""
    require_owner_or_decider(actor, entry, "suivre ses obligations")
    if entry.state == "withdrawn":
        raise _conflict(entry, "une entrée retirée ne se modifie plus")
    if status not in OBLIGATION_STATUS:
        raise InputError(f"Statut inconnu « {str(status)[:40]} » : {', '.join(OBLIGATION_STATUS)}.")
    if not any(o.key == key for o in entry.obligations):
        raise RefusedError(404, "not_found", f"Aucune obligation « {str(key)[:20]} » dans l'entrée {entry.id}.")
    note = clean(note, MAX_SHORT, "Note")
    by = ROLE_LABEL.get(actor.role, "agent")
    obligations = tuple(
        replace(o, status=status, on=now, by=by, note=note) if o.key == key else o for o in entry.obligations
    )
    return _next(entry, now, obligations=obligations)


def put_in_service(actor: Actor, entry: Entry, now: str) -> Entry:
    require_owner_or_decider(actor, entry, "la mettre en service")
    if entry.state != "decided" or entry.decision is None or entry.decision.outcome not in APPROVED:
        raise _conflict(entry, "seul un usage approuvé par le référent IA se met en service")
    if entry.review_needed:
        raise _conflict(entry, "la réévaluation a changé le niveau ou les obligations : nouvelle décision requise")
    return _next(entry, now, state="in_service")


def withdraw(actor: Actor, entry: Entry, now: str) -> Entry:
    require_owner_or_decider(actor, entry, "la retirer")
    if entry.state == "withdrawn":
        raise _conflict(entry, "elle est déjà retirée")
    return _next(entry, now, state="withdrawn")


def reassess(actor: Actor, entry: Entry, now: str, assessment: Mapping[str, Any]) -> Entry:
    """A new assessment of the same description (e.g. after a corpus change): what changed is kept on the entry."""
    require_owner_or_decider(actor, entry, "la réévaluer")
    if entry.state == "withdrawn":
        raise _conflict(entry, "une entrée retirée ne se réévalue plus")
    proposal = Proposal.of(assessment)
    diff = changes(entry, proposal) | {"on": now}
    review = entry.review_needed or (entry.state in ("decided", "in_service") and materially_changed(diff))
    return _next(
        entry,
        now,
        level=proposal.level,
        grounds=proposal.grounds,
        obligations=proposal.obligations_keeping(entry.obligations),
        charter=proposal.charter,
        to_clarify=proposal.to_clarify,
        facts=proposal.facts,
        assessment=dict(assessment),
        corpus_version=proposal.corpus_version,
        reassessment=diff,
        review_needed=review,
    )


__all__ = [
    "APPROVED",
    "DECIDER_ROLE",
    "Actor",
    "create",
    "decide",
    "edit",
    "may_read",
    "put_in_service",
    "reassess",
    "require_owner_or_decider",
    "set_obligation",
    "submit",
    "withdraw",
]
