"""Tuned numbers live in one module, each with where it comes from (assistant/base/tuning.py)."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.base import tuning

PACKAGE = Path(tuning.__file__).resolve().parents[1]
SOURCE = Path(tuning.__file__).read_text(encoding="utf-8")
NAMES = [n for n in vars(tuning) if n.isupper()]
# A commit, a report, the lessons file, or the admission that nothing was measured.
PROVENANCE = re.compile(r"\b[0-9a-f]{7}\b|eval/reports/|LESSONS\.md|not measured")


def test_every_tuned_number_has_a_source():
    lines = SOURCE.splitlines()
    for name in NAMES:
        i = next(k for k, line in enumerate(lines) if line.startswith(f"{name} = "))
        block = [lines[i]]
        while i > 0 and lines[i - 1].strip() and not lines[i - 1].startswith("# ----"):
            i -= 1
            block.append(lines[i])
        assert PROVENANCE.search("\n".join(block)), f"{name}: no eval run, commit or « not measured » beside it"


def test_every_tuned_number_is_used():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if p.name != "tuning.py")
    assert [n for n in NAMES if not re.search(rf"\b{n}\b", sources)] == []


def test_the_check_sees_a_number_without_source():
    lines = "# ---- stage\nX = 1  # chosen\n".splitlines()
    assert not PROVENANCE.search(lines[1]) and PROVENANCE.search(
        "Y = 2  # not measured: initial choice (commit a5fa032)"
    )
