from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from assistant.base.errors import ParseError
from assistant.ingest.parse_eurlex import parse_eurlex
from assistant.ingest.parse_pdf import attach_pages, pdf_pages, strip_furniture

REF_RE = r"^[a-z0-9]+(-[a-z0-9]+)*$"


@pytest.fixture(scope="module")
def units(corpus: Path):
    units = parse_eurlex(corpus / "ai-act-2024-1689.fr.html")
    return attach_pages(units, pdf_pages(corpus / "ai-act-2024-1689.fr.pdf"))


@pytest.fixture(scope="module")
def by_ref(units):
    return {u.ref: u for u in units}


def test_counts(units):
    kinds = Counter(u.kind for u in units)
    assert kinds["article"] == 113
    assert kinds["recital"] == 180
    assert kinds["annex"] == 13
    assert [u.ref for u in units if u.kind == "article"][:3] == ["art-1", "art-2", "art-3"]


def test_refs_unique_and_normalised(units):
    import re

    refs = [u.ref for u in units]
    assert len(refs) == len(set(refs))
    assert all(re.match(REF_RE, r) for r in refs)


@pytest.mark.parametrize(
    ("ref", "label", "needle"),
    [
        ("art-5-1-c", "Règlement (UE) 2024/1689, article 5, paragraphe 1, point c)", "note sociale"),
        (
            "art-5-1-c-i",
            "Règlement (UE) 2024/1689, article 5, paragraphe 1, point c), sous-point i)",
            "contextes sociaux",
        ),
        ("art-3-4", "Règlement (UE) 2024/1689, article 3, point 4)", "«déployeur»"),
        ("art-99-3", "Règlement (UE) 2024/1689, article 99, paragraphe 3", "35 000 000 EUR"),
        ("art-113-3-a", "Règlement (UE) 2024/1689, article 113, paragraphe 3, point a)", "2 février 2025"),
        ("annex-iii-5-a", "Règlement (UE) 2024/1689, annexe III, point 5 a)", "prestations et services d'aide sociale"),
        ("annex-viii-a-1", "Règlement (UE) 2024/1689, annexe VIII, section A, point 1", "coordonnées du fournisseur"),
        ("recital-27", "Règlement (UE) 2024/1689, considérant 27", "sept principes"),
        ("art-26-1", "Règlement (UE) 2024/1689, article 26, paragraphe 1", "notices d’utilisation"),
    ],
)
def test_sampled_provisions(by_ref, ref, label, needle):
    unit = by_ref[ref]
    assert unit.label == label
    assert needle in unit.text


def test_article_titles_and_parents(by_ref):
    assert by_ref["art-5"].title == "Pratiques interdites en matière d’IA"
    assert by_ref["art-5-1-c"].parent == "art-5-1"
    assert by_ref["art-5-1"].parent == "art-5"
    assert by_ref["annex-iii-5-a"].parent == "annex-iii-5"
    assert by_ref["annex-iii"].title.startswith("Systèmes d'IA à haut risque")


def test_footnotes_attached_not_inline(units, by_ref):
    assert "[Note 7] Règlement (CE) no 765/2008" in by_ref["recital-9"].text
    assert sum("[Note " in u.text for u in units) >= 30
    assert not any("⟦" in u.text or "⟧" in u.text for u in units)


def test_figures_use_plain_spaces(by_ref):
    # OJ uses no-break spaces inside figures; users type plain ones.
    assert "\u00a0" not in by_ref["art-99-3"].text
    assert "35 000 000" in by_ref["art-99-3"].text


@pytest.mark.parametrize(
    ("ref", "page"),
    [
        ("recital-1", 1),
        ("art-1", 44),
        ("art-4", 51),
        ("art-5-1-h", 52),
        ("art-26", 67),
        ("art-99-3", 115),
        ("annex-iii", 127),
    ],
)
def test_pages_from_pdf(by_ref, ref, page):
    assert by_ref[ref].page == page


def test_every_unit_has_a_page_and_pages_never_go_back(units):
    pages = [u.page for u in units]
    assert None not in pages
    assert all(b >= a for a, b in itertools.pairwise(pages))


def test_strip_furniture_drops_running_header():
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    pages = [
        f"JO L du 12.7.2024 FR\nTexte {w}\nELI: http://data.europa.eu/eli/reg/2024/1689/oj {i}/144"
        for i, w in enumerate(words)
    ]
    out = strip_furniture(pages)
    assert out[3] == "Texte delta"


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(ParseError, match="introuvable"):
        parse_eurlex(tmp_path / "absent.html")
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><p>Rien</p></body></html>", encoding="utf-8")
    with pytest.raises(ParseError, match="Aucun article"):
        parse_eurlex(bad)
