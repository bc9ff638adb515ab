"""UI of the register: handler-level checks, and in Chromium (marked `browser`) an agent's
assessment inscribed, submitted, refused to the agent's decision, then decided by the référent,
each step through the served app's audited desk, with screenshots in /tmp/register-ui/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.ui.register_tab import entries_html, entry_html
from tests.browser import local_only, served
from tests.test_ui import CHROMIUM, CHROMIUM_FLAGS

SHOTS = Path("/tmp/register-ui")
PROJECT = (
    "Un logiciel trierait automatiquement les candidatures à nos offres d'emploi et ne transmettrait au jury "
    "que les meilleurs CV."
)


def test_entry_and_list_are_escaped():
    hostile = "<img src=x onerror=alert(1)>"
    view = {
        "id": "IA-2026-0001",
        "title": hostile,
        "state_label": "brouillon",
        "level_title": "Haut risque",
        "description": hostile,
        "obligations": [{"key": "k1", "text": hostile, "status": "todo"}],
        "charter": [hostile],
        "decision": {"outcome": "refused", "reasons": hostile, "on": "2026-12-03", "by_role": "référent IA"},
        "reassessment": {"level_before": "limited", "level_after": "high-risk", "obligations_added": [hostile]},
        "review_needed": True,
    }
    page = entry_html(view, [{"version": 1, "ts": "2026-12-03T07:00:00.000Z", "action": "create", "state": "draft"}])
    assert "<img" not in page and page.count("&lt;img") == 6
    assert "refusé" in page and "À revoir" in page and "limited → high-risk" in page
    table = entries_html([{"id": "IA-2026-0001", "title": hostile, "state": "draft", "level": "high-risk"}])
    assert "<img" not in table and "&lt;img" in table


def _login(page, port: int, key_id: str, raw: str) -> None:
    page.goto(f"http://127.0.0.1:{port}/ui/")
    page.locator("input[type=password]").wait_for(timeout=60_000)
    page.locator("input:not([type=password])").first.fill(key_id)
    page.locator("input[type=password]").fill(raw)
    page.locator("input[type=password]").press("Enter")
    page.get_by_role("tab", name="Registre des usages de l'IA").wait_for(timeout=60_000)


@pytest.mark.browser
def test_browser_agent_inscribes_and_submits_referent_decides(api_settings):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium absent (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from assistant.backends.fake import ScriptedGenerator
    from assistant.core.access import RegisterSessions, UiSessions, ui_login
    from assistant.core.admin import AdminView
    from assistant.core.service import Service
    from assistant.ui.app import mount_ui
    from assistant.web.api import create_app

    app = create_app(api_settings, Service(api_settings, generator=ScriptedGenerator()))
    ctx = app.state.ctx
    agent, agent_raw = ctx.keys.create("agent", "agent RH")
    referent, referent_raw = ctx.keys.create("referent", "référent IA")
    mount_ui(
        app,
        ctx.service,
        sessions=UiSessions(ctx),
        admin=AdminView(ctx),
        register=RegisterSessions(ctx),
        auth=ui_login(ctx.keys),
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    guard = local_only(outside)
    with served(app) as port, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        # --- the agent: assess, inscribe, submit; a decision of theirs is refused
        page = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1000}).new_page()
        page.route("**/*", guard)
        _login(page, port, agent.id, agent_raw)
        page.get_by_role("tab", name="Mon projet est-il autorisé ?").click()
        page.locator("#ia-assess-description textarea").fill(PROJECT)
        page.get_by_role("button", name="Évaluer le projet").click()
        page.locator("#ia-assess-result").get_by_text("Niveau de risque").first.wait_for(timeout=120_000)
        page.get_by_role("button", name="Inscrire au registre").click()
        done = page.locator("#ia-assess-register-result").get_by_text("Projet inscrit au registre")
        done.wait_for(timeout=60_000)
        page.screenshot(path=str(SHOTS / "1-agent-assessment-inscribed.png"), full_page=True)
        entry_id = re.search(r"IA-\d{4}-\d{4}", done.inner_text()).group(0)

        page.get_by_role("tab", name="Registre des usages de l'IA").click()
        page.get_by_role("button", name="Afficher les entrées").click()
        page.locator("#ia-register-list").get_by_text(entry_id).wait_for(timeout=30_000)
        page.locator("#ia-register-id input, #ia-register-id textarea").first.fill(entry_id)
        page.get_by_role("button", name="Soumettre au référent IA").click()
        page.locator("#ia-register-detail").get_by_text("soumise au référent IA").first.wait_for(timeout=30_000)
        page.screenshot(path=str(SHOTS / "2-agent-entry-submitted.png"), full_page=True)
        # the agent records an obligation as done (chosen by its text, not by a key)
        page.get_by_text("Suivi d'une obligation").click()
        page.locator("#ia-register-ob-key input").click()
        page.get_by_role("option").filter(has_text="analyse d'impact").first.click()
        page.get_by_role("button", name="Enregistrer le statut").click()
        page.locator("#ia-register-detail").get_by_text("Obligation enregistrée : fait").wait_for(timeout=30_000)

        page.get_by_text("Décision du référent IA ou du DPO").click()
        page.locator("#ia-register-outcome").get_by_text("approuvé", exact=True).click()
        page.locator("#ia-register-reasons textarea").fill("Je m'approuve moi-même.")
        page.get_by_role("button", name="Enregistrer la décision").click()
        refused = page.locator("#ia-register-detail").get_by_text("Seul le référent IA")
        refused.wait_for(timeout=30_000)
        page.screenshot(path=str(SHOTS / "3-agent-decision-refused.png"), full_page=True)

        # --- the référent: reads the submitted entry, decides with reasons
        page2 = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 1000}).new_page()
        page2.route("**/*", guard)
        _login(page2, port, referent.id, referent_raw)
        page2.get_by_role("tab", name="Registre des usages de l'IA").click()
        page2.get_by_role("button", name="Afficher les entrées").click()
        page2.locator("#ia-register-list").get_by_text(entry_id).wait_for(timeout=30_000)
        page2.locator("#ia-register-id input, #ia-register-id textarea").first.fill(entry_id)
        page2.get_by_role("button", name="Afficher l'entrée").click()
        page2.locator("#ia-register-detail").get_by_text("Obligations du Département").wait_for(timeout=30_000)
        page2.get_by_text("Décision du référent IA ou du DPO").click()
        page2.locator("#ia-register-outcome").get_by_text("approuvé sous conditions", exact=True).click()
        page2.locator("#ia-register-reasons textarea").fill(
            "Approuvé sous conditions : analyse d'impact (art. 27) et information des candidats avant usage."
        )
        page2.get_by_role("button", name="Enregistrer la décision").click()
        page2.locator("#ia-register-detail").get_by_text("Décision enregistrée").wait_for(timeout=30_000)
        page2.screenshot(path=str(SHOTS / "4-referent-decision.png"), full_page=True)
        page2.get_by_role("button", name="Registre public (HTML, CSV, JSON)").click()
        page2.locator("#ia-register-list").get_by_text("Registre public (page HTML)").wait_for(timeout=30_000)
        href = page2.locator("#ia-register-list a").first.get_attribute("href")
        page3 = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}).new_page()
        page3.route("**/*", guard)
        page3.goto(href)
        page3.get_by_text(entry_id).first.wait_for(timeout=30_000)
        page3.screenshot(path=str(SHOTS / "5-public-register.png"), full_page=True)
        browser.close()
    assert outside == []
    entry = ctx.register.store.get(entry_id)
    assert entry.state == "decided" and entry.decision.outcome == "approved_with_conditions"
    (done,) = [o for o in entry.obligations if o.status == "done"]
    assert "analyse d'impact" in done.text and done.by == "agent"
    assert entry.owner == ctx.audit.pseudonym(agent.id) and entry.decision.by == ctx.audit.pseudonym(referent.id)
    rows = ctx.audit.rows(limit=200)
    ui_rows = [(r["user"], r["endpoint"], r["status"]) for r in rows if r["endpoint"].startswith("UI /ui register")]
    assert (ctx.audit.pseudonym(agent.id), "UI /ui register create", 201) in ui_rows
    assert (ctx.audit.pseudonym(agent.id), "UI /ui register submit", 200) in ui_rows
    assert (ctx.audit.pseudonym(agent.id), "UI /ui register obligation", 200) in ui_rows
    assert (ctx.audit.pseudonym(agent.id), "UI /ui register decide", 403) in ui_rows
    assert (ctx.audit.pseudonym(referent.id), "UI /ui register decide", 200) in ui_rows
    assert ctx.audit.verify().ok and ctx.register.store.verify()[0]


def test_ui_register_sessions_take_the_role_of_the_signed_in_key(api_settings):
    from types import SimpleNamespace

    from assistant.backends.fake import ScriptedGenerator
    from assistant.base.errors import RefusedError
    from assistant.core.access import RegisterSessions
    from assistant.core.service import Service
    from assistant.ops.keys import KeyStore
    from assistant.web.api import create_app

    app = create_app(api_settings, Service(api_settings, generator=ScriptedGenerator()))
    ctx = app.state.ctx
    sessions = RegisterSessions(ctx)
    agent, _ = ctx.keys.create("agent", "a")
    referent, _ = ctx.keys.create("referent", "r")
    s_agent = sessions(SimpleNamespace(username=agent.id))
    s_ref = sessions(SimpleNamespace(username=referent.id))
    assert (s_agent.actor.role, s_agent.decides) == ("agent", False)
    assert (s_ref.actor.role, s_ref.decides) == ("referent", True)
    assert s_agent.actor.user == ctx.audit.pseudonym(agent.id)
    e = s_agent.create(PROJECT, service="RH")
    s_agent.submit(e.id)
    assert s_ref.decide(e.id, "refused", "Tri automatique des candidats refusé.").state == "decided"
    KeyStore(api_settings.keys_file).revoke(agent.id)
    before = ctx.audit.count()
    with pytest.raises(RefusedError) as no:
        sessions(SimpleNamespace(username=agent.id)).entries()
    assert no.value.status == 401
    (row,) = ctx.audit.rows(limit=ctx.audit.count() - before)
    assert (row["endpoint"], row["status"], row["user"]) == ("UI /ui register list", 401, s_agent.actor.user)
    ctx.audit.close()
