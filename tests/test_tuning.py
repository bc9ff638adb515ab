"""Tuned numbers live in one module, each with where it comes from (assistant/base/tuning.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from assistant.base import tuning

PACKAGE = Path(tuning.__file__).resolve().parents[1]
SOURCE = Path(tuning.__file__).read_text(encoding="utf-8")
NAMES = [n for n in vars(tuning) if n.isupper()]
# A commit, a report, the lessons file, or the admission that nothing was measured.
PROVENANCE = re.compile(r"\b[0-9a-f]{7}\b|eval/reports/|LESSONS\.md|not measured")


def _assigned(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}


def test_every_tuned_number_has_a_source():
    lines = SOURCE.splitlines()
    for name in NAMES:
        i = next(k for k, line in enumerate(lines) if line.startswith(f"{name} = "))
        block = [lines[i]]
        while i > 0 and lines[i - 1].strip() and not lines[i - 1].startswith("# ----"):
            i -= 1
            block.append(lines[i])
        assert PROVENANCE.search("\n".join(block)), f"{name}: no eval run, commit or « not measured » beside it"


def test_no_module_defines_a_tuned_number_again():
    again = {
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "tuning.py"
        for name in _assigned(path) & set(NAMES)
    }
    assert not again


def test_every_tuned_number_is_used():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if p.name != "tuning.py")
    assert [n for n in NAMES if not re.search(rf"\b{n}\b", sources)] == []


def test_the_check_sees_a_number_without_source():
    lines = "# ---- stage\nX = 1  # chosen\n".splitlines()
    assert not PROVENANCE.search(lines[1]) and PROVENANCE.search(
        "Y = 2  # not measured: initial choice (commit a5fa032)"
    )


# ---------------------------------------------------------------------------- one support check

PASSAGE = "Le déployeur informe les personnes physiques concernées de l'utilisation du système à haut risque."
HALF = "Le déployeur informe les personnes concernées, les syndicats et le juge."  # 4 of its 6 content words


def test_one_support_threshold_for_answers_assessment_quiz_and_evaluation():
    """SUPPORT_MIN is read by the support check alone (and shown by the report); the others call the check."""
    users = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name != "tuning.py" and re.search(r"\bSUPPORT_MIN\b", p.read_text(encoding="utf-8"))
    }
    assert users == {"answer/cite.py", "evaluation/report.py"}
    for module in ("answer/compose.py", "assess/assessor.py", "training/quiz.py", "evaluation/evaluate.py"):
        assert "is_supported(" in (PACKAGE / module).read_text(encoding="utf-8"), module


def test_a_sentence_supported_at_half_is_unsupported_everywhere():
    from assistant.answer.cite import is_supported, support
    from assistant.evaluation.evaluate import citation_support
    from assistant.training.quiz import supported

    assert 0.5 <= support(HALF, [PASSAGE]) < tuning.SUPPORT_MIN
    assert not is_supported(HALF, [PASSAGE])
    assert is_supported("Le déployeur informe les personnes physiques concernées.", [PASSAGE])
    assert not supported(HALF, PASSAGE)  # a quiz option
    # The evaluation counted this citation as supported while its threshold was 0.5.
    resp = {"answer": f"{HALF} [1]", "citations": [{"n": 1, "doc_id": "ai-act", "ref": "art-26-11", "quote": PASSAGE}]}
    assert citation_support(resp) == {1: False}
