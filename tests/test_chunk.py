from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.base.units import Unit
from assistant.ingest.chunk import chunk_units
from assistant.text.norm import clean_ws, fold

words = st.text(alphabet="abcdeéèàçxyz ’'0123456789", min_size=1, max_size=12).map(clean_ws).filter(bool)
paragraph = st.lists(words, min_size=1, max_size=60).map(" ".join)
text = st.lists(paragraph, min_size=1, max_size=6).map("\n".join)


@st.composite
def documents(draw):
    """Articles with paragraphs and points, plus recitals: a random legal tree."""
    units: list[Unit] = []
    for a in range(1, draw(st.integers(1, 4)) + 1):
        art = f"art-{a}"
        units.append(Unit("d", art, f"article {a}", "article", draw(st.one_of(st.just(""), text)), f"Titre {a}"))
        for p in range(1, draw(st.integers(0, 3)) + 1):
            lead = draw(paragraph) + (":" if draw(st.booleans()) else "")
            par = f"{art}-{p}"
            units.append(Unit("d", par, f"article {a}, paragraphe {p}", "paragraph", lead, f"Titre {a}", art))
            for letter in "abc"[: draw(st.integers(0, 3))]:
                pt = f"{par}-{letter}"
                units.append(Unit("d", pt, f"… point {letter})", "point", draw(text), f"Titre {a}", par))
                if draw(st.booleans()):
                    units.append(Unit("d", f"{pt}-i", "… i)", "subpoint", draw(paragraph), f"Titre {a}", pt))
    for r in range(1, draw(st.integers(0, 3)) + 1):
        units.append(Unit("d", f"recital-{r}", f"considérant {r}", "recital", draw(text)))
    return units


def _top(ref: str) -> str:
    return "-".join(ref.split("-")[:2])


@settings(max_examples=150, deadline=None)
@given(documents(), st.integers(min_value=80, max_value=1500))
def test_chunks_respect_structure(units, max_chars):
    chunks = chunk_units(units, version="v", max_chars=max_chars)
    by_ref = {u.ref: u for u in units}
    for c in chunks:
        # Never crosses an article/recital boundary: every span belongs to the chunk's top unit.
        assert all(_top(s.ref) == _top(c.ref) for s in c.spans)
        # Spans point inside the chunk text.
        assert all(0 <= s.start <= s.end <= len(c.text) for s in c.spans)
        # A chunk over the limit can only be one indivisible sentence.
        if len(c.text) > max_chars:
            assert "\n" not in c.text
        assert c.ref in by_ref


@settings(max_examples=150, deadline=None)
@given(documents(), st.integers(min_value=80, max_value=1500))
def test_chunks_cover_every_word(units, max_chars):
    chunks = chunk_units(units, version="v", max_chars=max_chars)
    for u in units:
        if not u.text:
            continue
        own = " ".join(c.text for c in chunks if c.ref == u.ref or any(s.ref == u.ref for s in c.spans))
        for para in u.text.split("\n"):
            for word in para.split(" "):
                assert word in own


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fold_is_idempotent(s):
    assert fold(fold(s)) == fold(s)
    assert clean_ws(clean_ws(s)) == clean_ws(s)


def test_fold_matches_product_rules():
    assert fold("  Pratiques   INTERDITES à l’Article 5 ") == "pratiques interdites a l'article 5"
    assert fold("35\u202f000\u00a0000 EUR") == "35 000 000 eur"


def test_point_repeats_lead_in_and_folds_subpoints():
    units = [
        Unit("d", "art-5", "article 5", "article", "", "Pratiques interdites"),
        Unit(
            "d",
            "art-5-1",
            "article 5, paragraphe 1",
            "paragraph",
            "1. Les pratiques suivantes sont interdites:",
            "P",
            "art-5",
        ),
        Unit("d", "art-5-1-c", "point c)", "point", "la notation sociale conduisant:", "P", "art-5-1"),
        Unit("d", "art-5-1-c-i", "point c) i)", "subpoint", "le traitement préjudiciable", "P", "art-5-1-c"),
    ]
    chunks = {c.ref: c for c in chunk_units(units, version="v")}
    assert set(chunks) == {"art-5-1", "art-5-1-c"}
    c = chunks["art-5-1-c"]
    assert (
        c.text
        == "1. Les pratiques suivantes sont interdites:\nc) la notation sociale conduisant:\ni) le traitement préjudiciable"
    )
    assert [s.ref for s in c.spans] == ["art-5-1", "art-5-1-c", "art-5-1-c-i"]
    assert c.text[c.spans[2].start : c.spans[2].end] == "i) le traitement préjudiciable"
    assert c.context.startswith("point c)")
