"""The register of AI uses: lifecycle and roles, one audit row per change, exports, redaction.

The assessments are real (keyword facts over the fake index, scripted LLM: tests/fakes.py's
approach); the store and the audit trail are real, of each backend: SQLite in a temp dir, then a
fresh PostgreSQL database (tests/pgserver.py; skipped with the reason when the server is absent).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from assistant.backends.fake import ScriptedGenerator
from assistant.base.errors import InputError, RefusedError
from assistant.core.audited import Caller, Gateway
from assistant.core.register import RegisterDesk
from assistant.core.service import Service
from assistant.ops.stores import open_audit
from assistant.register import export
from assistant.register.entry import INTERNAL_FIELDS, Entry
from assistant.register.lifecycle import Actor
from assistant.register.store import Version

HIRING = (
    "Un logiciel trierait automatiquement les candidatures à nos offres d'emploi et ne transmettrait au jury "
    "que les meilleurs CV. Contact : jean.dupont@cd13.fr, 06 12 34 56 78, suivi par Mme Martin."
)
AGENT = Actor("agent-pseudo-1", "agent")
OTHER = Actor("agent-pseudo-2", "agent")
TRAINER = Actor("trainer-pseudo", "trainer")
REFERENT = Actor("referent-pseudo", "referent")


@pytest.fixture()
def desk(fake_settings, tmp_path, register_backend):
    svc = Service(fake_settings, generator=ScriptedGenerator())
    audit = open_audit(register_backend.settings(tmp_path / "var"))  # the same backend as the register's
    d = RegisterDesk(Gateway(svc, audit), register_backend.open())
    yield d
    d.store.close()
    audit.close()


def call(actor: Actor, what: str = "x") -> Caller:
    return Caller(actor.user, f"TEST register {what}", "api")


def _new(desk: RegisterDesk, actor: Actor = AGENT, description: str = HIRING) -> Entry:
    return desk.create(
        call(actor, "create"),
        actor,
        description,
        service="Ressources humaines",
        contact_role="chef du service recrutement",
    )


def test_entry_from_an_assessment_carries_level_obligations_and_charter(desk):
    e = _new(desk)
    assert e.id.startswith("IA-") and e.version == 1 and e.state == "draft"
    assert e.level == "high-risk" and e.owner == AGENT.user
    assert e.obligations and all(o.status == "todo" for o in e.obligations)
    assert e.charter and e.grounds and e.assessment["risk_level"] == "high-risk"
    assert e.decision is None  # the assistant proposes, a person decides
    assert desk.store.get(e.id) == e


def test_lifecycle_agent_submits_referent_decides_then_in_service(desk):
    e = _new(desk)
    e = desk.submit(call(AGENT), AGENT, e.id)
    assert e.state == "submitted" and e.version == 2
    with pytest.raises(RefusedError) as no:
        desk.decide(call(AGENT), AGENT, e.id, "approved", "je m'auto-approuve")
    assert no.value.status == 403 and "référent IA" in str(no.value)
    with pytest.raises(RefusedError) as no:
        desk.decide(call(TRAINER), TRAINER, e.id, "approved", "non")
    assert no.value.status == 403
    with pytest.raises(InputError):
        desk.decide(call(REFERENT), REFERENT, e.id, "approved", "   ")  # reasons are required
    with pytest.raises(InputError):
        desk.decide(call(REFERENT), REFERENT, e.id, "maybe", "motif")
    e = desk.decide(
        call(REFERENT), REFERENT, e.id, "approved_with_conditions", "Analyse d'impact avant mise en service."
    )
    assert e.state == "decided" and e.decision.by_role == "référent IA" and e.decision.by == REFERENT.user
    key = e.obligations[0].key
    e = desk.set_obligation(call(AGENT), AGENT, e.id, key, "done", "AIPD faite")
    assert e.obligations[0].status == "done" and e.obligations[0].on and e.obligations[0].by == "agent"
    e = desk.put_in_service(call(AGENT), AGENT, e.id)
    assert e.state == "in_service"
    e = desk.withdraw(call(AGENT), AGENT, e.id)
    assert e.state == "withdrawn"
    with pytest.raises(RefusedError) as no:
        desk.withdraw(call(AGENT), AGENT, e.id)
    assert no.value.status == 409
    actions = [v.action for v in desk.store.history(e.id)]
    assert actions == ["create", "submit", "decide", "obligation", "in_service", "withdraw"]


def test_state_rules(desk):
    e = _new(desk)
    with pytest.raises(RefusedError) as no:  # a draft is not decided
        desk.decide(call(REFERENT), REFERENT, e.id, "approved", "ok")
    assert no.value.status == 409
    with pytest.raises(RefusedError):  # nor put in service
        desk.put_in_service(call(AGENT), AGENT, e.id)
    desk.submit(call(AGENT), AGENT, e.id)
    refused = desk.decide(call(REFERENT), REFERENT, e.id, "refused", "Tri automatique des candidats : refusé.")
    with pytest.raises(RefusedError) as no:  # a refused use never goes in service
        desk.put_in_service(call(AGENT), AGENT, refused.id)
    assert no.value.status == 409
    with pytest.raises(RefusedError) as no:  # another agent cannot touch it
        desk.submit(call(OTHER), OTHER, e.id)
    assert no.value.status == 403
    # after its impact assessment, a project is submitted again and decided anew
    e2 = _new(desk)
    desk.submit(call(AGENT), AGENT, e2.id)
    desk.decide(call(REFERENT), REFERENT, e2.id, "needs_impact_assessment", "AIPD d'abord.")
    with pytest.raises(RefusedError):
        desk.put_in_service(call(AGENT), AGENT, e2.id)
    again = desk.submit(call(AGENT), AGENT, e2.id)
    assert again.state == "submitted" and again.decision is None
    assert desk.store.history(e2.id)[2].entry.decision.outcome == "needs_impact_assessment"  # kept
    approved = desk.decide(call(REFERENT), REFERENT, e2.id, "approved", "AIPD favorable.")
    with pytest.raises(RefusedError) as no:  # an approved use is not submitted again
        desk.submit(call(AGENT), AGENT, approved.id)
    assert no.value.status == 409
    with pytest.raises(RefusedError) as no:
        desk.get(call(OTHER), OTHER, e.id)
    assert no.value.status == 403
    with pytest.raises(RefusedError) as no:
        desk.get(call(AGENT), AGENT, "IA-1999-0001")
    assert no.value.status == 404


def test_a_decided_entry_is_never_edited_in_place(desk, register_backend):
    e = _new(desk)
    desk.submit(call(AGENT), AGENT, e.id)
    decided = desk.decide(call(REFERENT), REFERENT, e.id, "approved", "Conforme.")
    edited = desk.edit(call(AGENT), AGENT, e.id, title="Tri des CV (v2)")
    assert edited.version == decided.version + 1
    assert edited.state == "submitted" and edited.decision is None  # needs a new decision
    versions = desk.store.history(e.id)
    assert versions[decided.version - 1].entry == decided  # the decided version is kept as it was
    # the store itself refuses to rewrite a version or to skip the check of the current one
    with pytest.raises(RefusedError) as no:
        desk.store.append(decided, user=AGENT.user, action="edit")
    assert no.value.status == 409
    with pytest.raises(register_backend.error, match="ajout seul"):
        register_backend.execute("UPDATE {table} SET entry = '{}' WHERE entry_id = ?", [e.id])
    with pytest.raises(register_backend.error, match="ajout seul"):
        register_backend.execute("DELETE FROM {table}")
    ok, rows, _ = desk.store.verify()
    assert ok and rows == 4


def test_every_change_writes_one_audit_row_with_the_pseudonym_and_redacted_text(desk):
    before = desk.gateway.audit.count()
    e = _new(desk)
    desk.submit(call(AGENT), AGENT, e.id)
    desk.decide(call(REFERENT), REFERENT, e.id, "needs_impact_assessment", "Voir avec M. Durand au 06 98 76 54 32.")
    rows = desk.gateway.audit.rows(limit=10)
    # create: the assessment's row and the creation's; then one row per change
    assert desk.gateway.audit.count() - before == 4
    decide, submit, create, assess = rows[0], rows[1], rows[2], rows[3]
    assert assess["endpoint"] == "TEST register create (évaluation)" and assess["user"] == AGENT.user
    assert create["status"] == 201 and create["refs"] == [f"registre:{e.id}:v1"] and create["user"] == AGENT.user
    assert submit["refs"][-1] == f"registre:{e.id}:v2" and submit["user"] == AGENT.user
    assert decide["user"] == REFERENT.user and decide["refs"][-1] == f"registre:{e.id}:v3"
    text = json.dumps(rows, ensure_ascii=False)
    for pii in ("jean.dupont", "06 12 34 56 78", "Martin", "Durand", "06 98 76 54 32"):
        assert pii not in text
    assert "[EMAIL]" in create["question"] and "[TÉLÉPHONE]" in create["question"] and "[NOM]" in create["question"]
    # refused changes are audited too, with their status
    with pytest.raises(RefusedError):
        desk.decide(call(AGENT), AGENT, e.id, "approved", "moi")
    assert desk.gateway.audit.rows(limit=1)[0]["status"] == 403
    assert desk.gateway.audit.verify().ok


def test_views_by_role(desk):
    e = _new(desk)
    assert [x["id"] for x in desk.entries(call(AGENT), AGENT)] == [e.id]
    assert desk.entries(call(OTHER), OTHER) == []
    assert desk.entries(call(TRAINER), TRAINER) == []  # drafts are nobody's worked case
    desk.submit(call(AGENT), AGENT, e.id)
    (case,) = desk.entries(call(TRAINER), TRAINER)
    assert case["service"] == "" and case["contact_role"] == "" and "owner" not in case
    assert "jean.dupont" not in json.dumps(case, ensure_ascii=False)
    (full,) = desk.entries(call(REFERENT), REFERENT)
    assert full["owner"] == AGENT.user and full["service"] == "Ressources humaines"
    assert "assessment" not in full  # the list stays light
    before = desk.gateway.audit.count()
    case = desk.detail(call(TRAINER), TRAINER, e.id)
    assert case["history"] is None and case["fiche"] is None and "owner" not in case["view"]
    mine = desk.detail(call(AGENT), AGENT, e.id)
    assert [h["action"] for h in mine["history"]] == ["create", "submit"] and "Fiche d&#x27;évaluation" in mine["fiche"]
    assert desk.gateway.audit.count() - before == 2  # one row per screen


def test_contact_is_a_role_not_a_person_unless_an_admin_enters_it(desk):
    e = desk.create(call(AGENT), AGENT, HIRING, contact_role="Mme Martin, cheffe du service")
    assert "Martin" not in e.contact_role and "[NOM]" in e.contact_role
    admin = Actor("admin-pseudo", "admin")
    e = desk.create(call(admin), admin, HIRING, contact_role="Mme Martin, cheffe du service")
    assert e.contact_role == "Mme Martin, cheffe du service"


def _approved(desk: RegisterDesk, description: str = HIRING, title: str = "") -> Entry:
    e = desk.create(call(AGENT), AGENT, description, title=title, service="RH", contact_role="référent RH")
    desk.submit(call(AGENT), AGENT, e.id)
    return desk.decide(call(REFERENT), REFERENT, e.id, "approved", "Conforme après <b>AIPD</b>.")


def test_public_exports_escape_content_and_hold_no_internal_field(desk):
    hostile = '=HYPERLINK("http://x")<script>alert(1)</script> & "quotes"'
    shown = _approved(desk, HIRING, title=hostile)
    draft = desk.create(
        call(AGENT),
        AGENT,
        "Un agent conversationnel répondrait aux usagers sur les aides sociales.",
        title="brouillon secret",
    )
    entries = desk.store.latest()
    page = export.to_html(entries)
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;AIPD&lt;/b&gt;" in page
    assert "brouillon secret" not in page and draft.id not in page
    rows = list(csv.DictReader(io.StringIO(export.to_csv(entries))))
    assert len(rows) == 1 and rows[0]["name"].startswith("'=HYPERLINK")
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    doc = json.loads(export.to_json(entries))
    assert doc["count"] == 1 and doc["algorithms"][0]["cd13_id"] == shown.id
    assert (
        doc["algorithms"][0]["risk_category"] == "high-risk"
        and doc["algorithms"][0]["cd13_decided_by"] == "référent IA"
    )
    named = _approved(desk, "Mme Martin souhaite un outil qui trierait les CV des candidats à nos offres d'emploi.")
    assert named.title.startswith("Mme Martin")  # kept in the register itself…
    entries = desk.store.latest()
    page = export.to_html(entries)
    for text in (page, export.to_csv(entries), export.to_json(entries)):  # …never published
        for value in (AGENT.user, REFERENT.user, "jean.dupont", "06 12 34 56 78", "Martin"):
            assert value not in text
        for name in INTERNAL_FIELDS:
            assert f'"{name}"' not in text
    assert set(doc["algorithms"][0]) == set(export.COLUMNS)


def test_reassessment_shows_what_changed(desk):
    e = _approved(desk)
    # the corpus changed: a re-assessment finds a different level and different obligations
    older = {**e.assessment, "risk_level": "limited", "obligations": [{"text": "Obligation retirée depuis"}]}
    from dataclasses import replace

    stale = replace(
        e,
        version=e.version + 1,
        level="limited",
        assessment=older,
        corpus_version="ancien",
        obligations=(e.obligations[0], *Entry.from_json({**e.to_json(), "obligations": []}).obligations),
    )
    desk.store.append(stale, user="test", action="seed")
    assert [x.id for x in desk.stale(e.corpus_version)] == [e.id]
    (listed,) = desk.entries(call(AGENT), AGENT)
    assert listed["corpus_changed"] is True  # the list says which entries to re-assess
    again = desk.reassess(call(AGENT), AGENT, e.id)
    diff = again.reassessment
    assert diff["level_before"] == "limited" and diff["level_after"] == "high-risk" and diff["level_changed"]
    assert diff["corpus_before"] == "ancien" and diff["corpus_after"] == e.corpus_version
    assert len(diff["obligations_added"]) == len(e.obligations) - 1
    assert again.review_needed and again.state == "decided"
    with pytest.raises(RefusedError) as no:  # not in service before a new decision
        desk.put_in_service(call(AGENT), AGENT, e.id)
    assert no.value.status == 409
    redecided = desk.decide(call(REFERENT), REFERENT, e.id, "approved", "Revu après réévaluation.")
    assert not redecided.review_needed
    assert desk.entries(call(AGENT), AGENT)[0]["corpus_changed"] is False
    assert desk.put_in_service(call(AGENT), AGENT, e.id).state == "in_service"
    with pytest.raises(RefusedError) as no:
        desk.reassess(call(OTHER), OTHER, e.id)
    assert no.value.status == 403


def test_entry_fiche_has_the_recorded_decision_and_statuses(desk):
    e = _approved(desk)
    page = export.fiche_html(e)
    assert "Approuvé le" in page and "référent IA" in page and "à faire" in page
    assert "&lt;b&gt;AIPD&lt;/b&gt;" in page and "<b>AIPD" not in page


def test_entry_texts_carry_no_citation_markers_of_the_assessment(desk):
    e = _new(desk)
    assert "[" in json.dumps(e.assessment["obligations"], ensure_ascii=False)  # the assessment has them…
    for text in (*e.grounds, *e.charter, *(o.text for o in e.obligations)):
        assert not re.search(r"\[\d+\]", text), text  # …the register's texts do not


def test_entry_fiche_pdf_with_the_assessment_fiches_converter(desk, tmp_path):
    from assistant.assess import fiche

    if fiche.pdf_converter() is None:
        pytest.skip("Chromium absent : la fiche PDF n'est pas produite (message en français, testé dans test_fiche)")
    e = _approved(desk)
    out = desk.fiche_pdf(call(AGENT), AGENT, e.id, tmp_path / "fiche.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(RefusedError):  # the same right as reading it
        desk.fiche_pdf(call(OTHER), OTHER, e.id, tmp_path / "autre.pdf")


class MemoryRegister:
    """A second Repository (in memory): the desk needs nothing else from its store, so a PostgreSQL one can follow."""

    def __init__(self) -> None:
        self.rows: list[Version] = []

    def now(self) -> str:
        return "2026-12-03T08:00:00.000Z"

    def create(self, build, *, user, action="create"):
        entry = build(f"IA-2026-{len({v.entry.id for v in self.rows}) + 1:04d}")
        self.rows.append(Version(entry, self.now(), user, action))
        return entry

    def append(self, entry, *, user, action):
        if max(v.entry.version for v in self.rows if v.entry.id == entry.id) != entry.version - 1:
            raise RefusedError(409, "conflict", "modifiée entre-temps")
        self.rows.append(Version(entry, self.now(), user, action))
        return entry

    def get(self, entry_id):
        found = self.history(entry_id)
        return found[-1].entry if found else None

    def latest(self):
        return [e for e in (self.get(i) for i in dict.fromkeys(v.entry.id for v in self.rows)) if e]

    def history(self, entry_id):
        return [v for v in self.rows if v.entry.id == entry_id]

    def verify(self):
        return True, len(self.rows), "ok"

    def close(self) -> None:
        pass


def test_the_desk_works_on_any_repository(desk):
    other = RegisterDesk(desk.gateway, MemoryRegister())
    e = other.create(call(AGENT), AGENT, HIRING)
    other.submit(call(AGENT), AGENT, e.id)
    decided = other.decide(call(REFERENT), REFERENT, e.id, "approved", "Conforme.")
    assert decided.state == "decided" and [v.action for v in other.store.history(e.id)] == [
        "create",
        "submit",
        "decide",
    ]
    assert json.loads(export.to_json(other.store.latest()))["count"] == 1
