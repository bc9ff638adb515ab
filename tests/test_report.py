"""HTML reports: self-contained, plots embedded, answers escaped and labelled."""

from __future__ import annotations

import re

from assistant.evaluation.compare import compare_runs, write_compare
from tests.test_evaluate import (
    ABSTAIN,
    QUESTIONS,
    SCENARIOS,
    FakeService,
    answers_v1,
    assessments,
    cite,
    response,
    run,
)

INJECTED = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
ASSET = re.compile(
    r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I
)


def _injected_answers() -> dict[str, dict]:
    answers = answers_v1()
    answers[QUESTIONS[1]["question"]] = response(
        f"Mesures techniques {INJECTED} [1].", [cite(1, "art-26-1", f"quote {INJECTED}")]
    )
    unlabelled = response("Une amende [1].", [cite(1, "art-99-3", "amende")])
    unlabelled["label"] = ""
    answers[QUESTIONS[3]["question"]] = unlabelled
    return answers


def test_report_is_self_contained_escaped_labelled_with_plots(tmp_path):
    levels = {"s1": "prohibited", "s2": "limited", "s3": "limited"}
    run(tmp_path, FakeService(_injected_answers(), assess=assessments(levels)), QUESTIONS + SCENARIOS)
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    # self-contained: no script at all, no remote asset, a CSP that forbids loading anything
    assert "<script" not in html.replace("&lt;script", "")
    assert not ASSET.search(html)
    assert "<link" not in html and "http://" not in html and "https://" not in html
    assert "default-src 'none'" in html
    # injected HTML is shown as text
    assert "<img src=x" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    # plots embedded as inline SVG: categories (questions + scenarios), latency, confusion matrix
    assert html.count("<svg") == 4
    assert "Matrice de confusion" in html and "Exactitude par catégorie" in html
    # every answer shown carries the AI label; a response without it is flagged
    shown = html.count('<div class="answer">')
    assert shown == 7 and html.count('class="ailabel"') == shown + 1
    assert "ne portait pas l'étiquette IA" in html
    # French, with what failed
    assert 'lang="fr"' in html and "Chiffres clés" in html
    assert "abstention à tort" in html or "source attendue non citée" in html
    assert "niveau de risque : attendu haut risque, obtenu transparence" in html
    assert "Obligations" in html and "Décision humaine" in html


def test_report_notes_skipped_scenarios_without_failing_them(tmp_path):
    run(tmp_path, FakeService(answers_v1()), QUESTIONS + SCENARIOS)
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "3 scénario(s) non évalué(s)" in html and "Aucun scénario évalué" in html
    assert html.count('class="skip"') == 3
    assert "Matrice de confusion" not in html


def test_compare_html_is_escaped(tmp_path):
    bad = [{**QUESTIONS[0], "question": f"Amende {INJECTED} ?"}]
    answers = {bad[0]["question"]: answers_v1()[QUESTIONS[0]["question"]]}
    run(tmp_path, FakeService(answers), bad, name="a")
    run(tmp_path, FakeService({bad[0]["question"]: ABSTAIN}), bad, name="b")
    cmp = compare_runs(tmp_path / "a", tmp_path / "b")
    html = write_compare(cmp).read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x" in html and "Dégradées (✓ → ✗) : 1" in html
    assert not ASSET.search(html) and "<script" not in html.replace("&lt;script", "")
