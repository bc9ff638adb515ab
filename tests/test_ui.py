"""French web UI: safe rendering, streaming, abstention, feedback, mounting on a closed network.

Fast tests use the fake embedder and the scripted LLM. The browser test (marked `browser`)
drives Debian's headless Chromium through playwright-python; it is skipped when either is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assistant.answer.result import AI_LABEL
from assistant.backends.fake import ScriptedGenerator
from assistant.core.audited import Gateway
from assistant.core.service import Service
from assistant.ops.audit import AuditLog
from assistant.ui.app import AnswerUpdate, build_ui, mount_ui, stream_answer, submit_feedback
from assistant.ui.render import (
    SourceLookup,
    energy_method,
    fr_number,
    render_answer_html,
    render_rows_html,
    safe_official_url,
)

from .browser import local_only, served
from .netguard import loopback_only

QUESTION = "Quelle amende pour le non-respect de l'interdiction des pratiques visées à l'article 5 ?"
REPLY = json.dumps(
    {
        "trouve": True,
        "reponse": "Jusqu'à 35 000 000 EUR ou 7 % du chiffre d'affaires annuel mondial [1].",
        "sources": [1],
    },
    ensure_ascii=False,
)
ALLOWED_TAGS = {
    "div", "p", "span", "strong", "code", "h3", "section", "ol", "li", "blockquote",
    "a", "details", "summary", "mark", "footer", "table", "caption", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


class SlowGenerator(ScriptedGenerator):
    """The scripted LLM, with a pause between tokens so that streaming is observable."""

    def __init__(self, *replies: str, delay: float = 0.01):
        super().__init__(replies)
        self.delay = delay

    def stream(self, messages, **kwargs):
        for piece in super().stream(messages, **kwargs):
            time.sleep(self.delay)
            yield piece


@pytest.fixture()
def service(fake_settings):
    svc = Service(fake_settings, generator=SlowGenerator(REPLY))
    svc.answerer.floor, svc.answerer.strong = 0.0, 2.0  # fake embedder: no calibrated abstention
    return svc


@pytest.fixture()
def session(service, tmp_path):
    """What a UI tab holds: the service behind the audited gateway, as the local user."""
    log = AuditLog(tmp_path / "audit.sqlite3")
    yield Gateway(service, log).session("local", channel="ui", prefix="UI /ui")
    log.close()


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def _assert_safe(page: str) -> None:
    for tag, attrs in _tags(page):
        assert tag in ALLOWED_TAGS, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "src" not in attrs and "style" not in attrs
        href = attrs.get("href")
        if href is not None:
            assert re.fullmatch(r"#ia-cit-\d+", href) or safe_official_url(href) == href, href


def _response(answer: str, citations: list[dict], **extra) -> dict:
    base = {
        "question": "q",
        "answer": answer,
        "abstained": False,
        "ai_generated": True,
        "label": AI_LABEL,
        "citations": citations,
        "model": {"llm": "fake-llm", "embedder": "fake-hash-256", "corpus_version": "corpus-123"},
        "timings": {"retrieval_ms": 6.0, "ttft_ms": 6.9, "total_ms": 1234.0},
        "energy": {"wh": 2e-05, "co2e_g": 1e-06, "method": "estimation-cpu : temps CPU × 10 W"},
    }
    base.update(extra)
    return base


def _citation(n: int, **extra) -> dict:
    c = {
        "n": n,
        "doc_id": "ai-act",
        "ref": f"art-{n}",
        "label": f"Règlement (UE) 2024/1689, article {n}",
        "page": 40 + n,
        "lang": "fr",
        "quote": f"Texte exact {n}.",
        "url": f"https://eur-lex.europa.eu/legal-content/FR/TXT/HTML/?uri=OJ:L_202401689#art_{n}",
        "amended_by": [],
    }
    c.update(extra)
    return c


# ---------------------------------------------------------------------- rendering


def test_render_escapes_script_and_event_handlers():
    evil = "<script>alert(1)</script> et <img src=x onerror=alert(2)> [1]"
    page = render_answer_html(
        _response(
            evil, [_citation(1, quote="<img src=x onerror=alert(3)>", label="<b>x</b>")], label="<script>x</script>IA"
        )
    )
    _assert_safe(page)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_render_never_turns_markdown_into_images_or_links():
    page = render_answer_html(
        _response(
            "Voir ![x](http://evil/x.png) et [clic](javascript:alert(1)) <a href='http://evil'>ici</a> [1]",
            [_citation(1)],
        )
    )
    _assert_safe(page)
    assert "<img" not in page and 'href="http://evil' not in page and "javascript:" not in page.split("![x]")[0]
    assert "![x](http://evil/x.png)" in page  # shown as text, harmless


def test_markers_link_to_cards_and_unknown_markers_stay_text():
    page = render_answer_html(_response("Amende [1]. Autre [2].\nHors liste [7].", [_citation(1), _citation(2)]))
    _assert_safe(page)
    assert page.count('href="#ia-cit-1"') == 1 and 'id="ia-cit-1"' in page
    assert 'href="#ia-cit-2"' in page and 'id="ia-cit-2"' in page
    assert 'href="#ia-cit-7"' not in page and "[7]" in page
    # the card: « [n] label, p. X », the quote, the official link in a new tab, the passage on demand
    assert "Règlement (UE) 2024/1689, article 1, p. 41" in page
    assert "« Texte exact 1. »" in page
    assert 'target="_blank" rel="noopener noreferrer"' in page
    assert "<details><summary>" in page


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/eur-lex",
        "javascript:alert(1)",
        "https://eur-lex.europa.eu.evil.com/x",
        "http://eur-lex.europa.eu/x",
        'https://eur-lex.europa.eu/x" onmouseover="alert(1)',
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_non_official_links_are_refused(url):
    page = render_answer_html(_response("Réponse [1].", [_citation(1, url=url)]))
    _assert_safe(page)
    assert not any(attrs.get("href") == url for _, attrs in _tags(page))
    assert "non cliquable" in page


def test_official_links_are_kept():
    assert safe_official_url("http://data.europa.eu/eli/reg/2024/1689/oj") is not None
    page = render_answer_html(_response("R [1]", [_citation(1, url="http://data.europa.eu/eli/reg/2024/1689/oj")]))
    assert 'href="http://data.europa.eu/eli/reg/2024/1689/oj"' in page


def test_amended_provision_is_flagged_with_the_amending_text():
    page = render_answer_html(
        _response("R [1]", [_citation(1, amended_by=["ai-act-2026-1744:art-1-3"])]),
        label_for=lambda link: "Règlement (UE) 2026/1744, article 1, point 3",
    )
    assert "Modifié par : Règlement (UE) 2026/1744, article 1, point 3" in page


def test_label_model_time_and_energy_are_shown():
    page = render_answer_html(_response("R [1]", [_citation(1)]))
    assert AI_LABEL.split("—")[0].strip() in page and 'class="ia-label"' in page
    assert page.index("ia-label") < page.index("Réponse</h3>")  # above the answer
    assert "fake-llm" in page and "corpus-123" in page
    assert "1,2 s" in page and "6,9 ms" in page
    assert "0,00002 Wh" in page and "0,000001 gCO2e" in page and "<strong>estimation</strong>" in page
    rapl = render_answer_html(_response("R", [], energy={"wh": 0.5, "co2e_g": 0.026, "method": "rapl : compteurs"}))
    assert "<strong>mesure</strong>" in rapl and "0,5 Wh" in rapl


def test_numbers_and_methods():
    assert (
        fr_number(0) == "0"
        and fr_number(2e-05) == "0,00002"
        and fr_number(12.34) == "12,3"
        and fr_number(1234.5) == "1234"
    )
    assert energy_method("estimation-cpu : …") == "estimation" and energy_method("rapl : …") == "mesure"
    assert energy_method("") == "méthode non précisée"


def test_abstention_shows_message_and_closest_passages():
    response = _response(
        "Les textes de référence ne permettent pas de répondre à cette question. Passages les plus proches, à consulter :\n— X",
        [],
        abstained=True,
        closest=[
            {"doc_id": "ai-act", "ref": "annex-vii", "label": "Règlement (UE) 2024/1689, annexe VII <i>", "page": 134}
        ],
    )
    page = render_answer_html(response, passage_for=lambda c: "Annexe VII : texte du passage.")
    _assert_safe(page)
    assert "Pas de réponse dans les textes de référence" in page
    assert "ne permettent pas de répondre" in page
    assert "Passages les plus proches" in page and "annexe VII &lt;i&gt;, p. 134" in page
    assert "Annexe VII : texte du passage." in page
    assert 'class="ia-label"' in page


def test_abstention_from_the_service(service, session):
    service.answerer.floor = 5.0  # nothing is close enough: abstain
    updates = list(stream_answer(session, "Quelle est la recette de la bouillabaisse ?", sources=SourceLookup(service)))
    final = updates[-1]
    assert final.done and final.response["abstained"] is True
    assert "Pas de réponse dans les textes de référence" in final.html and AI_LABEL[:40] in final.html
    assert final.html.count('class="ia-card"') == len(final.response["closest"]) > 0
    assert "Voir le passage source exact" in final.html


def test_rows_table_is_escaped():
    page = render_rows_html(
        [{"question": "<script>x</script>", "refs": ["art-5", "art-99"], "extra": {"a": 1}}], "Journal"
    )
    _assert_safe(page)
    assert "&lt;script&gt;" in page and "art-5, art-99" in page and "Journal (1)" in page


# ---------------------------------------------------------------------- streaming and feedback


def test_stream_yields_partials_then_the_final_answer(service, session):
    updates = list(stream_answer(session, QUESTION, sources=SourceLookup(service)))
    assert all(isinstance(u, AnswerUpdate) for u in updates)
    partials, final = updates[:-1], updates[-1]
    assert partials and not any(u.done for u in partials) and final.done
    assert any("35 000 000" in u.html for u in partials)  # tokens shown while they come
    assert all(AI_LABEL[:40] in u.html for u in updates)  # the label is there from the start
    assert final.response is not None and not final.response["abstained"]
    assert 'class="ia-card"' in final.html and 'href="#ia-cit-1"' in final.html
    assert "Voir le passage source exact" in final.html and "<mark>" in final.html  # full passage, quote highlighted
    _assert_safe(final.html)


def test_stream_reports_input_errors_in_french(service):
    (only,) = list(stream_answer(service, "   "))
    assert only.done and only.response is None and "Écrivez d'abord votre question" in unescape(only.html)
    (too_long,) = list(stream_answer(service, "a" * 2001))
    assert "raccourcissez" in too_long.html


def test_feedback_callback_gets_the_right_values():
    calls = []
    msg = submit_feedback(lambda *a: calls.append(a), False, {"answer_id": "abc123"}, "  Il manque l'article 26.  ")
    assert calls == [("abc123", False, "Il manque l'article 26.")]
    assert "Merci" in msg and "« Pas utile »" in msg
    msg = submit_feedback(lambda *a: calls.append(a), True, {"answer_id": None}, "")
    assert calls[-1] == (None, True, "") and "« Utile »" in msg
    assert "Posez d'abord une question" in unescape(submit_feedback(lambda *a: calls.append(a), True, None, "x"))
    assert len(calls) == 2

    def broken(*_a):
        raise RuntimeError("db down")

    assert "n'a pas pu être enregistré" in unescape(submit_feedback(broken, True, {"answer_id": "x"}, ""))


# ---------------------------------------------------------------------- blocks and mounting


class FakeAdmin:
    def __init__(self, allow: bool = True):
        self.allow = allow
        self.calls: list[str] = []

    def authorize(self, request) -> bool:
        return self.allow

    def status(self) -> dict:
        self.calls.append("status")
        return {"ready": True, "corpus_version": "corpus-123"}

    def reindex(self) -> str:
        self.calls.append("reindex")
        return "Nouvelle génération de l'index en service."

    def feedback_rows(self, limit: int) -> list[dict]:
        return [{"useful": True, "comment": "<b>bien</b>"}][:limit]

    def audit_rows(self, limit: int, query: str) -> list[dict]:
        return [{"question": query, "refs": ["art-5"]}][:limit]


def _config_text(blocks) -> str:
    return json.dumps(blocks.get_config_file(), ensure_ascii=False, default=str)


def test_build_ui_tabs(service):
    import gradio as gr

    blocks = build_ui(service)
    assert isinstance(blocks, gr.Blocks)
    cfg = _config_text(blocks)
    assert "Poser une question" in cfg and "Administration" in cfg
    assert "nécessite le rôle administrateur" in cfg
    tabs = [
        c.get("props", {}).get("label") for c in blocks.get_config_file()["components"] if c.get("type") == "tabitem"
    ]
    assert "Mon projet est-il autorisé ?" in tabs  # the service can assess planned uses
    assert tabs == ["Poser une question", "Mon projet est-il autorisé ?", "Formation", "Administration"]
    assert "Évaluer le projet" in cfg
    assert "Poser la question" in cfg and "Votre question" in cfg
    with_admin = _config_text(build_ui(service, admin=FakeAdmin(), feedback=lambda *a: None))
    assert "Réindexer sans interruption" in with_admin and "nécessite le rôle administrateur" not in with_admin
    assert "Utile" in with_admin and "Pas utile" in with_admin


def test_admin_actions_check_authorization():
    from assistant.ui.app import _admin_call
    from assistant.ui.render import render_status_html

    admin = FakeAdmin(allow=False)
    out = _admin_call(admin, None, "lecture de l'état", lambda a: render_status_html(a.status()))
    assert "réservée au rôle administrateur" in out and admin.calls == []
    admin.allow = True
    out = _admin_call(admin, None, "lecture de l'état", lambda a: render_status_html(a.status()))
    assert "corpus-123" in out and admin.calls == ["status"]

    class Bound(FakeAdmin):  # an admin object that binds each request's user: the call gets the bound one
        def for_request(self, request):
            bound = FakeAdmin()
            bound.calls = self.calls
            bound.status = lambda: {"ready": True, "corpus_version": f"pour {request}"}
            return bound

    out = _admin_call(Bound(), "req-7", "lecture de l'état", lambda a: render_status_html(a.status()))
    assert "pour req-7" in out


_LOCAL = ("http://testserver", "http://www.w3.org/")  # the local server; SVG namespace in inline data URIs


def _external_urls(text: str) -> set[str]:
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", text))
    return {u for u in urls if not u.startswith(_LOCAL)}


def test_mount_ui_serves_a_french_page_without_external_assets(service):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    with loopback_only() as attempts:
        app = mount_ui(FastAPI(), service, feedback=lambda *a: None)
        with TestClient(app) as client:
            page = client.get("/ui")
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert 'lang="fr"' in page.text[:200]
            config = client.get("/ui/config")
            assert config.status_code == 200
            assert "Assistant IA-réglementation" in config.text and "Poser une question" in config.text
            theme = client.get("/ui/theme.css")
            assert theme.status_code == 200 and "system-ui" in theme.text
            texts = {"page": page.text, "config": config.text, "theme": theme.text}
            for href in re.findall(r'href="(\./assets/[^"]+\.css)"', page.text):
                texts[href] = client.get("/ui/" + href[2:]).text
            for name, text in texts.items():
                low = text.lower()
                assert "fonts.googleapis" not in low and "fonts.gstatic" not in low, name
                assert not re.search(r"//[\w.-]*cdn[\w.-]*\.", low), name
                assert _external_urls(text) == set(), (name, _external_urls(text))
            assert '"analytics_enabled":false' in config.text.replace(" ", "")
    assert attempts == []


# ---------------------------------------------------------------------- browser


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path("/tmp/ui-answer.png")
# WCAG AA: every visible text against its effective background (4.5:1, or 3:1 for large text).
LOW_CONTRAST_JS = r"""
() => {
  function parse(c) { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number); return {r:p[0],g:p[1],b:p[2],a:p.length>3?p[3]:1}; }
  function lum(c) { const f = v => { v/=255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); }; return 0.2126*f(c.r)+0.7152*f(c.g)+0.0722*f(c.b); }
  function bg(el) { let layers = []; for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } } let base = {r:255,g:255,b:255}; for (let i = layers.length-1; i >= 0; i--) { const c = layers[i]; base = {r: c.r*c.a + base.r*(1-c.a), g: c.g*c.a + base.g*(1-c.a), b: c.b*c.a + base.b*(1-c.a)}; } return base; }
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (!el.checkVisibility || !el.checkVisibility()) continue;
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const st = getComputedStyle(el); const fg = parse(st.color); if (!fg) continue;
    const b = bg(el); const f = {r: fg.r*fg.a + b.r*(1-fg.a), g: fg.g*fg.a + b.g*(1-fg.a), b: fg.b*fg.a + b.b*(1-fg.a)};
    const l1 = lum(f), l2 = lum(b); const ratio = (Math.max(l1,l2)+0.05)/(Math.min(l1,l2)+0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) out.push({text: el.textContent.trim().slice(0,50), tag: el.tagName, cls: el.className && el.className.baseVal === undefined ? el.className : '', ratio: Math.round(ratio*100)/100, color: st.color, bg: `rgb(${b.r},${b.g},${b.b})`});
  }
  return out;
}
"""


@pytest.mark.browser
def test_browser_asks_streams_and_shows_sources(fake_settings):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium absent (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from fastapi import FastAPI

    svc = Service(fake_settings, generator=SlowGenerator(REPLY, delay=0.08))
    svc.answerer.floor, svc.answerer.strong = 0.0, 2.0
    ratings: list[tuple] = []
    app = mount_ui(FastAPI(), svc, feedback=lambda *a: ratings.append(a))
    outside: list[str] = []
    with served(app) as port, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 1000})
        page.route("**/*", local_only(outside))
        page.goto(f"http://127.0.0.1:{port}/ui/")
        question = page.get_by_label("Votre question")
        question.wait_for(state="visible", timeout=30_000)
        assert page.title().startswith("Assistant IA-réglementation")
        # keyboard: from the question, Tab reaches the « Poser la question » button
        question.focus()
        page.keyboard.press("Tab")
        assert "Poser la question" in page.evaluate("document.activeElement.textContent")
        question.fill(QUESTION)
        question.press("Enter")  # Enter submits
        # streamed: the partial text appears before the sources
        page.locator("#ia-answer .ia-status").first.wait_for(state="visible", timeout=30_000)
        page.get_by_text("35 000 000", exact=False).first.wait_for(state="visible", timeout=30_000)
        card = page.locator("#ia-answer .ia-card").first
        card.wait_for(state="visible", timeout=60_000)
        label = page.locator("#ia-answer .ia-label")
        assert label.is_visible() and "générée par une IA" in label.inner_text()
        assert "[1]" in card.inner_text() and "p. " in card.inner_text()
        # open the exact source passage with the keyboard
        summary = card.locator("summary").first
        summary.focus()
        page.keyboard.press("Enter")
        passage = card.locator(".ia-passage")
        passage.wait_for(state="visible", timeout=5_000)
        assert passage.locator("mark").count() == 1
        # a marker in the answer leads to its card
        page.locator("#ia-answer a.ia-marker").first.click()
        assert page.evaluate("document.activeElement.id") == "ia-cit-1"
        assert page.url.startswith(f"http://127.0.0.1:{port}/ui/")
        page.screenshot(path=str(SCREENSHOT), full_page=True)
        assert page.evaluate(LOW_CONTRAST_JS) == []
        # rating
        page.get_by_label("Commentaire (facultatif)").fill("Clair et sourcé.")
        page.get_by_role("button", name="Utile", exact=True).click()
        page.get_by_text("Merci : votre avis", exact=False).wait_for(state="visible", timeout=15_000)
        browser.close()
    assert ratings and ratings[0][1:] == (True, "Clair et sourcé.")
    assert outside == []  # closed network: nothing but the local server was requested
    assert SCREENSHOT.stat().st_size > 10_000


def test_an_internal_error_is_logged_without_the_question(caplog):
    """The exception message may quote the question (personal data): logs keep type and frames only."""
    import logging

    from assistant.ui.app import stream_answer

    class Broken:
        def ask(self, question, on_token=None):
            raise RuntimeError(question)

    question = " ".join(["Mon NIR est", "1 84 12 75", str(123), str(456), "78, puis-je utiliser un chatbot ?"])
    with caplog.at_level(logging.ERROR):
        updates = list(stream_answer(Broken(), question))
    assert "erreur interne" in updates[-1].html
    assert "RuntimeError" in caplog.text and "ask failed" in caplog.text
    assert "123 456" not in caplog.text and "Mon NIR" not in caplog.text, caplog.text
