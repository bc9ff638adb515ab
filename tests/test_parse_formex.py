"""Tests for the Formex parser of Regulation (EU) 2026/1744 (Digital Omnibus on AI)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from assistant.base.errors import ParseError
from assistant.base.units import Unit
from assistant.ingest.parse_formex import instruction_targets, parse_formex

CORPUS = Path(os.environ.get("ASSISTANT_CORPUS_DIR") or Path(__file__).resolve().parents[2] / "shared" / "corpus")
MAIN = CORPUS / "ai-act-amendment-2026-1744.en.xml"
ANNEX = CORPUS / "ai-act-amendment-2026-1744.annex-xiv.en.xml"
SOURCES = CORPUS / "SOURCES.md"
PREFIX = "Règlement (UE) 2026/1744"
REF_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Every amending (sub)point of Article 1 and the AI Act refs it changes (the full mapping).
EXPECTED_AMENDS: dict[str, tuple[str, ...]] = {
    "art-1-1": ("art-1-2-g",),
    "art-1-2": ("art-2-2", "art-2-7"),
    "art-1-2-a": ("art-2-2",),
    "art-1-2-b": ("art-2-7",),
    "art-1-3": ("art-2-13",),
    "art-1-4": ("art-3-14", "art-3-14a", "art-3-14b"),
    "art-1-4-a": ("art-3-14",),
    "art-1-4-b": ("art-3-14a", "art-3-14b"),
    "art-1-5": ("art-4",),
    "art-1-6": ("art-4a",),
    "art-1-7": ("art-5-1-ba", "art-5-1-bb", "art-5-1a", "art-5-1b"),
    "art-1-7-a": ("art-5-1-ba", "art-5-1-bb"),
    "art-1-7-b": ("art-5-1a", "art-5-1b"),
    "art-1-8": ("art-6-1a", "art-6-1b", "art-6-1c"),
    "art-1-9": ("art-10-1", "art-10-5", "art-10-6"),
    "art-1-9-a": ("art-10-1",),
    "art-1-9-b": ("art-10-5",),
    "art-1-9-c": ("art-10-6",),
    "art-1-10": ("art-11-1",),
    "art-1-11": ("art-17-2",),
    "art-1-12": ("art-25-2", "art-25-4"),
    "art-1-12-a": ("art-25-2",),
    "art-1-12-b": ("art-25-4",),
    "art-1-13": ("art-27-4", "art-27-5"),
    "art-1-13-a": ("art-27-4",),
    "art-1-13-b": ("art-27-5",),
    "art-1-14": ("art-28-8", "art-28-9"),
    "art-1-15": ("art-29-4",),
    "art-1-16": ("art-30-2",),
    "art-1-17": ("art-40-2",),
    "art-1-18": ("art-42-3",),
    "art-1-19": ("art-43-3",),
    "art-1-20": ("art-50-7",),
    "art-1-21": ("art-56-6",),
    "art-1-22": ("art-57-1", "art-57-3", "art-57-3a", "art-57-5", "art-57-9-e", "art-57-10", "art-57-14"),
    "art-1-22-a": ("art-57-1",),
    "art-1-22-b": ("art-57-3",),
    "art-1-22-c": ("art-57-3a",),
    "art-1-22-d": ("art-57-5",),
    "art-1-22-e": ("art-57-9-e",),
    "art-1-22-f": ("art-57-10",),
    "art-1-22-g": ("art-57-14",),
    "art-1-23": ("art-58-1", "art-58-1-d"),
    "art-1-23-a": ("art-58-1",),
    "art-1-23-b": ("art-58-1-d",),
    "art-1-24": ("art-60-1", "art-60-2"),
    "art-1-24-a": ("art-60-1",),
    "art-1-24-b": ("art-60-2",),
    "art-1-25": ("art-60a",),
    "art-1-26": ("art-63-1",),
    "art-1-27": ("art-64-3",),
    "art-1-28": ("art-69-2",),
    "art-1-29": ("art-70-8",),
    "art-1-30": ("art-72-3",),
    "art-1-31": ("art-75", "art-75-1", "art-75-1a", "art-75-1b", "art-75-1c", "art-75-1d", "art-75-1e", "art-75-2a"),
    "art-1-31-a": ("art-75",),
    "art-1-31-b": ("art-75-1",),
    "art-1-31-c": ("art-75-1a", "art-75-1b", "art-75-1c", "art-75-1d", "art-75-1e"),
    "art-1-31-d": ("art-75-2a",),
    "art-1-32": ("art-75a", "art-75b", "art-75c", "art-75d"),
    "art-1-33": ("art-76-1",),
    "art-1-34": ("art-77", "art-77-1", "art-77-1a", "art-77-1b"),
    "art-1-34-a": ("art-77",),
    "art-1-34-b": ("art-77-1",),
    "art-1-34-c": ("art-77-1a", "art-77-1b"),
    "art-1-35": ("art-95-4",),
    "art-1-36": ("art-96-1-a", "art-96-1-g", "art-96-1"),
    "art-1-36-a": ("art-96-1-a",),
    "art-1-36-b": ("art-96-1-g",),
    "art-1-36-c": ("art-96-1",),
    "art-1-37": ("art-97-2", "art-97-3", "art-97-6"),
    "art-1-37-a": ("art-97-2", "art-97-3"),
    "art-1-37-b": ("art-97-6",),
    "art-1-38": ("art-99-1", "art-99-4-da", "art-99-6a"),
    "art-1-38-a": ("art-99-1",),
    "art-1-38-b": ("art-99-4-da",),
    "art-1-38-c": ("art-99-6a",),
    "art-1-39": ("art-111-2", "art-111-4"),
    "art-1-39-a": ("art-111-2",),
    "art-1-39-b": ("art-111-4",),
    "art-1-40": ("art-113-3-a", "art-113-3-c", "art-113-3-d"),
    "art-1-40-a": ("art-113-3-a",),
    "art-1-40-b": ("art-113-3-c",),
    "art-1-40-c": ("art-113-3-d",),
    "art-1-41": ("annex-i-a-1", "annex-i-b-21"),
    "art-1-41-a": ("annex-i-a-1",),
    "art-1-41-b": ("annex-i-b-21",),
    "art-1-42": ("annex-viii-b-7", "annex-viii-b-9"),
    "art-1-43": ("annex-xiv",),
}

# SOURCES.md, entry "ai-act-amendment-2026-1744.en.xml", "AI Act provisions amended by Article 1",
# transcribed in the AI Act ref scheme (subparagraphs are not refs: "11(1) second subparagraph" is art-11-1).
SOURCES_PROVISIONS = [
    "art-1-2-g",  # Art. 1(2)(g)
    "art-2-2", "art-2-7", "art-2-13",  # 2(2), 2(7), new 2(13)
    "art-3-14", "art-3-14a", "art-3-14b",  # 3(14), new 3(14a), 3(14b)
    "art-4", "art-4a",  # Art. 4 replaced; new Art. 4a
    "art-5-1-ba", "art-5-1-bb", "art-5-1a", "art-5-1b",  # new 5 1(ba), 1(bb), 5(1a), 5(1b)
    "art-6-1a", "art-6-1b", "art-6-1c",  # Art. 6 new 1a-1c
    "art-10-1", "art-10-6", "art-10-5",  # 10(1) and (6) replaced, 10(5) deleted
    "art-11-1",  # 11(1) second subparagraph
    "art-17-2",
    "art-25-2", "art-25-4",  # 25(2) and 25(4) first subparagraph
    "art-27-4", "art-27-5",
    "art-28-8", "art-28-9",
    "art-29-4",
    "art-30-2",
    "art-40-2",  # 40(2) added subparagraph
    "art-42-3",
    "art-43-3",
    "art-50-7",
    "art-56-6",
    "art-57-1", "art-57-3", "art-57-3a", "art-57-5", "art-57-9-e", "art-57-10", "art-57-14",
    "art-58-1",
    "art-60-1", "art-60-2",
    "art-60a",
    "art-63-1",
    "art-64-3",
    "art-69-2",
    "art-70-8",
    "art-72-3",
    "art-75", "art-75-1", "art-75-1a", "art-75-1b", "art-75-1c", "art-75-1d", "art-75-1e", "art-75-2a",
    "art-75a", "art-75b", "art-75c", "art-75d",
    "art-76-1",
    "art-77", "art-77-1", "art-77-1a", "art-77-1b",
    "art-95-4",
    "art-96-1",
    "art-97-2", "art-97-3", "art-97-6",
    "art-99-1", "art-99-4-da", "art-99-6a",
    "art-111-2", "art-111-4",
    "art-113-3-a", "art-113-3-c", "art-113-3-d",
    "annex-i-a-1", "annex-i-b-21",  # Annex I Section A point 1 deleted, new Section B point 21
    "annex-viii-b-7", "annex-viii-b-9",
    "annex-xiv",
]  # fmt: skip


def _need_corpus() -> None:
    if not MAIN.is_file() or not ANNEX.is_file():
        pytest.skip(f"Formex files of Regulation (EU) 2026/1744 not found in {CORPUS}")


@pytest.fixture(scope="module")
def units() -> list[Unit]:
    _need_corpus()
    return parse_formex(MAIN, annex_paths=[ANNEX])


@pytest.fixture(scope="module")
def by_ref(units: list[Unit]) -> dict[str, Unit]:
    return {u.ref: u for u in units}


# ------------------------------------------------------------------ real file: structure


def test_counts(units: list[Unit]) -> None:
    recitals = [u.ref for u in units if u.kind == "recital"]
    assert recitals == [f"recital-{i}" for i in range(1, 48)]
    assert [u.ref for u in units if u.kind == "article"] == ["art-1", "art-2", "art-3", "art-4"]
    points = [u.ref for u in units if u.kind == "amending-point" and u.parent == "art-1"]
    assert points == [f"art-1-{i}" for i in range(1, 44)]
    assert len([u for u in units if u.kind == "amending-point" and u.parent == "art-2"]) == 7
    assert len([u for u in units if u.kind == "amending-point" and u.parent == "art-3"]) == 3
    assert [u.ref for u in units if u.kind.startswith("annex")] == [
        "annex-xiv",
        "annex-xiv-1",
        "annex-xiv-2",
        "annex-xiv-2-a",
        "annex-xiv-2-b",
        "annex-xiv-3",
        "annex-xiv-3-a",
        "annex-xiv-3-b",
        "annex-xiv-3-c",
        "annex-xiv-3-d",
        "annex-xiv-4",
    ]


def test_refs_unique_and_well_formed(units: list[Unit]) -> None:
    refs = [u.ref for u in units]
    assert len(refs) == len(set(refs))
    bad = [r for r in refs if not REF_RE.match(r)]
    assert not bad
    known = set(refs)
    assert all(u.parent is None or u.parent in known for u in units)
    for u in units:
        for ref in u.amends:
            assert REF_RE.match(ref), (u.ref, ref)
        assert u.doc_id == "ai-act-2026-1744" and u.lang == "en"
        assert u.text.strip(), u.ref
        assert "  " not in u.text and "\n\n" not in u.text, u.ref


def test_document_order(units: list[Unit]) -> None:
    refs = [u.ref for u in units]
    assert refs[0] == "citations"
    assert refs[-1] == "final"
    # the annex is printed where point (43) includes it, before Article 2
    assert refs.index("art-1-43") < refs.index("annex-xiv") < refs.index("art-2")
    assert refs.index("art-1-9") < refs.index("art-1-9-a") < refs.index("art-1-9-c") < refs.index("art-1-10")


def test_full_amends_table(units: list[Unit]) -> None:
    got = {u.ref: u.amends for u in units if u.kind.startswith("amending") and u.ref.startswith("art-1-")}
    assert got == EXPECTED_AMENDS


def test_other_acts_have_no_ai_act_amends(units: list[Unit]) -> None:
    others = [u for u in units if u.ref.startswith(("art-2-", "art-3-"))]
    assert len(others) == 12  # 7 + 3 points, 2 sub-points of Article 3 point (3)
    assert all(u.amends == () for u in others)
    assert all(u.amends == () for u in units if u.kind in ("recital", "article", "citations", "final"))


def test_sources_md_coverage(units: list[Unit]) -> None:
    covered = {ref for u in units for ref in u.amends}
    missing = [p for p in SOURCES_PROVISIONS if p not in covered]
    assert not missing
    # and nothing beyond what SOURCES.md lists, except finer refs under a listed provision
    listed = set(SOURCES_PROVISIONS)
    extra = [
        r
        for r in covered
        if r not in listed and not any(r.startswith(p + "-") for p in listed) and not r.startswith("annex-xiv-")
    ]
    assert not extra
    # cross-check the transcription against the text of SOURCES.md itself, when present
    if not SOURCES.is_file():
        return
    text = SOURCES.read_text(encoding="utf-8")
    m = re.search(r"AI Act provisions amended by Article 1:(.*?)- Dates it sets", text, re.S)
    assert m, "SOURCES.md section listing the amended provisions not found"
    section = " ".join(m.group(1).split())
    articles_in_sources = set(re.findall(r"(?<![\w(])(\d{1,3}[a-d]?)\(", section))  # "57(1)", "99(4)(da)"
    articles_in_sources |= set(re.findall(r"\bArt\. (\d{1,3}[a-d]?)\b", section))  # "Art. 4 replaced", "Art. 60a"
    articles_in_sources |= set(re.findall(r"\b(\d{1,3}) third paragraph", section))  # "113 third paragraph"
    arts = re.search(r"\bArts (\d+)([a-d])\W\1([a-d])\b", section)  # "new Arts 75a–75d"
    assert arts
    num, first, last = arts.groups()
    articles_in_sources |= {f"{num}{chr(c)}" for c in range(ord(first), ord(last) + 1)}
    ours = {r.split("-")[1] for r in covered if r.startswith("art-")}
    assert len(articles_in_sources) >= 40  # the section was really read (42 articles)
    assert articles_in_sources == ours
    assert "Annex VIII Section B points 7 and 9" in section and "new Annex XIV" in section


# ------------------------------------------------------------------ real file: specific units


def test_article_4_replaced(by_ref: dict[str, Unit]) -> None:
    u = by_ref["art-1-5"]
    assert u.kind == "amending-point" and u.parent == "art-1"
    assert u.amends == ("art-4",)
    assert u.text.startswith("Article 4 is replaced by the following:\n‘Article 4\nAI literacy\n1. Providers")
    assert "take measures" in u.text
    assert "guarantee any specific level of AI literacy" in u.text
    assert u.text.endswith("common objectives.’;")
    assert u.label == f"{PREFIX}, article 1, point 5)"


def test_article_4a_and_article_5(by_ref: dict[str, Unit]) -> None:
    assert by_ref["art-1-6"].amends == ("art-4a",)
    assert "‘Article 4a\nProcessing of special categories" in by_ref["art-1-6"].text
    a5 = by_ref["art-1-7-a"]
    assert a5.kind == "amending-subpoint" and a5.parent == "art-1-7"
    assert a5.amends == ("art-5-1-ba", "art-5-1-bb")
    lines = a5.text.split("\n")
    assert lines[0] == "in paragraph 1, the first subparagraph, the following points are inserted:"
    assert lines[1].startswith("‘(ba) the placing on the market")
    assert lines[2].startswith("(bb) the placing on the market") and lines[2].endswith("national law;’;")
    assert a5.label == f"{PREFIX}, article 1, point 7) a)"


def test_article_10_subpoints(by_ref: dict[str, Unit]) -> None:
    point = by_ref["art-1-9"]
    assert point.text == "Article 10 is amended as follows:"
    assert point.amends == ("art-10-1", "art-10-5", "art-10-6")
    deleted = by_ref["art-1-9-b"]
    assert deleted.text == "paragraph 5 is deleted;"
    assert deleted.amends == ("art-10-5",)
    assert by_ref["art-1-9-a"].text.startswith("paragraph 1 is replaced by the following:\n‘1. High-risk AI systems")


def test_article_113_dates(by_ref: dict[str, Unit]) -> None:
    subs = [by_ref[f"art-1-40-{x}"] for x in "abc"]
    assert all(ref.startswith("art-113-3-") for u in subs for ref in u.amends)
    assert "2 December 2027" in subs[1].text and "2 August 2028" in subs[1].text
    assert "(i) 2 December 2027" in subs[1].text.split("\n")[2]
    assert subs[2].text.endswith("‘(d) Articles 102 to 110 shall apply from 27 July 2026.’;")


def test_annex_xiv(by_ref: dict[str, Unit]) -> None:
    annex = by_ref["annex-xiv"]
    assert annex.kind == "annex"
    assert annex.amends == ("annex-xiv",)
    assert annex.label == f"{PREFIX}, annexe XIV (ajoutée au règlement (UE) 2024/1689)"
    assert annex.page == 36
    assert by_ref["art-1-43"].amends == ("annex-xiv",)
    assert "[Annex XIV: The list of codes" in by_ref["art-1-43"].text
    table = by_ref["annex-xiv-2-a"]
    assert table.parent == "annex-xiv-2" and table.title == "AI systems subject to Annex I"
    assert "AIP 0102 | AI systems subject to point 2 of Section A of Annex I" in table.text.split("\n")
    assert table.label == f"{PREFIX}, annexe XIV (ajoutée au règlement (UE) 2024/1689), section 2.a"
    rows = [line for u in by_ref.values() if u.ref.startswith("annex-xiv") for line in u.text.split("\n")]
    # 6 tables, 28 rows: 6 header rows ("AIA Code") and 22 codes
    assert len([r for r in rows if re.match(r"AI[PBH] \d{4} \| ", r)]) == 22
    assert rows.count("AIA Code") == 6
    assert by_ref["annex-xiv-4"].text.endswith("referred to in Article 29.’.")


def test_labels_titles_pages(by_ref: dict[str, Unit]) -> None:
    assert by_ref["recital-12"].label == f"{PREFIX}, considérant 12"
    assert by_ref["art-1"].label == f"{PREFIX}, article 1"
    assert by_ref["art-1"].title == "Amendments to Regulation (EU) 2024/1689"
    assert by_ref["art-1"].text == "Regulation (EU) 2024/1689 is amended as follows:"
    assert by_ref["art-1-4"].label == f"{PREFIX}, article 1, point 4)"
    assert by_ref["art-1-4"].title == "Amendments to Regulation (EU) 2024/1689"
    assert by_ref["art-2"].title == "Amendments to Regulation (EU) 2018/1139"
    assert by_ref["art-4"].title == "Entry into force and application"
    assert by_ref["art-4"].text.startswith("This Regulation shall enter into force on the third day")
    assert "Digital Omnibus on AI" in by_ref["citations"].title
    assert "Done at Strasbourg, 8 July 2026." in by_ref["final"].text
    assert (by_ref["recital-1"].page, by_ref["art-1"].page, by_ref["art-1-5"].page) == (1, 15, 16)
    assert (by_ref["annex-xiv-3-c"].page, by_ref["art-2"].page, by_ref["art-4"].page) == (38, 38, 41)


def test_footnotes(units: list[Unit], by_ref: dict[str, Unit]) -> None:
    notes = [line for u in units for line in u.text.split("\n") if line.startswith("[Note] ")]
    assert len(notes) == 23
    r1 = by_ref["recital-1"].text.split("\n")
    assert r1[0].startswith("Regulation (EU) 2024/1689 of the European Parliament and of the Council lays down")
    assert r1[1].startswith("[Note] Regulation (EU) 2024/1689 of the European Parliament and of the Council of 13 June")
    assert sum(line.startswith("[Note]") for line in by_ref["citations"].text.split("\n")) == 4
    assert "[Note] " in by_ref["art-1-17"].text  # footnote inside quoted AI Act text


def test_without_annex_file() -> None:
    _need_corpus()
    units = parse_formex(MAIN)
    point = next(u for u in units if u.ref == "art-1-43")
    assert point.amends == ("annex-xiv",)  # the Annex added after Annexes I-XIII
    assert not [u for u in units if u.kind.startswith("annex")]


# ------------------------------------------------------------------ instruction grammar


@pytest.mark.parametrize(
    ("instruction", "context", "quoted", "expected"),
    [
        ("Article 4 is replaced by the following:", (), [], ["art-4"]),
        ("the following Article is inserted:", (), ["art:4a"], ["art-4a"]),
        ("the following articles are inserted:", (), ["art:75a", "art:75b"], ["art-75a", "art-75b"]),
        ("In Article 5(1), the following points are inserted:", (), ["ba", "bb"], ["art-5-1-ba", "art-5-1-bb"]),
        ("the following paragraphs are inserted:", [("art-5",)], ["1a", "1b"], ["art-5-1a", "art-5-1b"]),
        ("paragraph 5 is deleted;", [("art-10",)], [], ["art-10-5"]),
        ("paragraphs 2 and 3 are replaced by the following:", [("art-97",)], ["2", "3"], ["art-97-2", "art-97-3"]),
        ("in paragraph 3, the third subparagraph is replaced by the following:", [("art-8",)], [], ["art-8-3"]),
        ("in Article 11(1), the second subparagraph is replaced by the following:", (), [], ["art-11-1"]),
        ("in Article 40(2), the following subparagraph is added:", (), [], ["art-40-2"]),
        ("in Article 1(2), point (g) is replaced by the following:", (), ["g"], ["art-1-2-g"]),
        ("point (a) is replaced by the following:", [("art-113", "3")], ["a"], ["art-113-3-a"]),
        ("in paragraph 4, the following point is inserted:", [("art-99",)], ["da"], ["art-99-4-da"]),
        ("the heading is replaced by the following:", [("art-75",)], [], ["art-75"]),
        ("in Section A, point 1 is deleted;", [("annex-i",)], [], ["annex-i-a-1"]),
        ("in Annex VIII, section B, points 7 and 9 are deleted;", (), [], ["annex-viii-b-7", "annex-viii-b-9"]),
        ("the following Annex is added:", (), ["annex:xiv"], ["annex-xiv"]),
        (
            "in the first subparagraph, point (a) is replaced by the following:",
            [("art-96", "1")],
            ["a"],
            ["art-96-1-a"],
        ),
    ],
)
def test_instruction_targets(instruction: str, context, quoted: list[str], expected: list[str]) -> None:
    paths, opens = instruction_targets(instruction, context, quoted)
    assert ["-".join(p) for p in paths] == expected
    assert opens is False


@pytest.mark.parametrize(
    ("instruction", "expected"),
    [
        ("Article 10 is amended as follows:", ["art-10"]),
        ("in Article 113, the third paragraph is amended as follows:", ["art-113-3"]),
        ("in Article 58(1), the first subparagraph is amended as follows:", ["art-58-1"]),
        ("in Article 96, paragraph 1 is amended as follows:", ["art-96-1"]),
        ("Annex I is amended as follows:", ["annex-i"]),
    ],
)
def test_instruction_lead_ins(instruction: str, expected: list[str]) -> None:
    paths, opens = instruction_targets(instruction)
    assert ["-".join(p) for p in paths] == expected
    assert opens is True


# ------------------------------------------------------------------ synthetic documents

_SYNTHETIC = """<?xml version="1.0" encoding="UTF-8"?>
<ACT>
  <BIB.INSTANCE><NO.DOC><YEAR>2030</YEAR><NO.CURRENT>7</NO.CURRENT></NO.DOC><PAGE.FIRST>1</PAGE.FIRST></BIB.INSTANCE>
  <TITLE><TI><P>Regulation (EU) 2030/7 of the European Parliament and of the Council</P></TI></TITLE>
  <PREAMBLE>
    <GR.CONSID><CONSID><NP><NO.P>(1)</NO.P><TXT>A recital citing a text<NOTE NOTE.ID="E1"><P>OJ L 1, 1.1.2030.</P></NOTE> and going on.</TXT></NP></CONSID></GR.CONSID>
  </PREAMBLE>
  <ENACTING.TERMS>
    <ARTICLE IDENTIFIER="001"><TI.ART>Article 1</TI.ART><STI.ART><P>Amendments to Regulation (EU) 2024/1689</P></STI.ART>
      <ALINEA><P>Regulation (EU) 2024/1689 is amended as follows:</P>
        <LIST TYPE="ARAB">
          <ITEM><NP><NO.P>(1)</NO.P><TXT>Article 12 is amended as follows:</TXT>
            <P><LIST TYPE="alpha">
              <ITEM><NP><NO.P>(a)</NO.P><TXT>paragraph 2 is replaced by the following:</TXT>
                <P><QUOT.S LEVEL="1"><PARAG IDENTIFIER="012.002"><NO.PARAG><QUOT.START CODE="2018" ID="Q1" REF.END="Q2"/>2.</NO.PARAG>
                  <ALINEA><P>New text with a list:</P><LIST TYPE="alpha">
                    <ITEM><NP><NO.P>(a)</NO.P><TXT>first;</TXT></NP></ITEM>
                    <ITEM><NP><NO.P>(b)</NO.P><TXT>second.<QUOT.END CODE="2019" ID="Q2" REF.START="Q1"/></TXT></NP></ITEM>
                  </LIST></ALINEA></PARAG></QUOT.S>;</P></NP></ITEM>
              <ITEM><NP><NO.P>(b)</NO.P><TXT>paragraph 5 is deleted;</TXT></NP></ITEM>
            </LIST></P></NP></ITEM>
          <?PAGE NO="2"?>
          <ITEM><NP><NO.P>(2)</NO.P><TXT>in Article 13, the following paragraph is added:</TXT>
            <P><QUOT.S LEVEL="1"><PARAG IDENTIFIER="013.004"><NO.PARAG><QUOT.START CODE="2018" ID="Q3" REF.END="Q4"/>4.</NO.PARAG>
              <ALINEA>Added paragraph.<QUOT.END CODE="2019" ID="Q4" REF.START="Q3"/></ALINEA></PARAG></QUOT.S>.</P></NP></ITEM>
        </LIST>
      </ALINEA>
    </ARTICLE>
    <ARTICLE IDENTIFIER="002"><TI.ART>Article 2</TI.ART><STI.ART><P>Entry into force</P></STI.ART>
      <PARAG IDENTIFIER="002.001"><NO.PARAG>1.</NO.PARAG><ALINEA>This Regulation shall enter into force tomorrow.</ALINEA></PARAG>
      <PARAG IDENTIFIER="002.002"><NO.PARAG>2.</NO.PARAG><ALINEA>It shall apply from 1 May 2031.</ALINEA></PARAG>
    </ARTICLE>
  </ENACTING.TERMS>
</ACT>
"""


def _write(tmp_path: Path, text: str, name: str = "act.xml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_synthetic_document(tmp_path: Path) -> None:
    units = parse_formex(_write(tmp_path, _SYNTHETIC), doc_id="omnibus-test", lang="en")
    by_ref = {u.ref: u for u in units}
    assert [u.ref for u in units] == [
        "citations",
        "recital-1",
        "art-1",
        "art-1-1",
        "art-1-1-a",
        "art-1-1-b",
        "art-1-2",
        "art-2",
        "art-2-1",
        "art-2-2",
    ]
    assert by_ref["recital-1"].text == "A recital citing a text and going on.\n[Note] OJ L 1, 1.1.2030."
    assert by_ref["recital-1"].label == "Règlement (UE) 2030/7, considérant 1"
    assert by_ref["art-1-1"].text == "Article 12 is amended as follows:"
    assert by_ref["art-1-1"].amends == ("art-12-2", "art-12-5")
    assert by_ref["art-1-1-a"].text == (
        "paragraph 2 is replaced by the following:\n‘2. New text with a list:\n(a) first;\n(b) second.’;"
    )
    assert by_ref["art-1-1-a"].label == "Règlement (UE) 2030/7, article 1, point 1) a)"
    assert by_ref["art-1-1-b"].amends == ("art-12-5",)
    assert by_ref["art-1-2"].text == "in Article 13, the following paragraph is added:\n‘4. Added paragraph.’."
    assert by_ref["art-1-2"].amends == ("art-13-4",)
    assert by_ref["art-1-2"].page == 2
    assert by_ref["art-2"].text == ""  # only numbered paragraphs, which are units of their own
    assert by_ref["art-2"].title == "Entry into force"
    assert by_ref["art-2-2"].kind == "paragraph" and by_ref["art-2-2"].parent == "art-2"
    assert by_ref["art-2-2"].text == "It shall apply from 1 May 2031."
    assert by_ref["art-2-2"].label == "Règlement (UE) 2030/7, article 2, paragraphe 2"
    assert all(u.doc_id == "omnibus-test" for u in units)


# ------------------------------------------------------------------ errors


def test_truncated_xml_raises_parse_error(tmp_path: Path) -> None:
    path = _write(tmp_path, _SYNTHETIC[: len(_SYNTHETIC) // 2])
    with pytest.raises(ParseError) as exc:
        parse_formex(path)
    message = str(exc.value)
    assert "n'est pas un XML bien formé" in message
    assert re.search(r"ligne \d+, colonne \d+", message)
    assert str(path) in message


def test_missing_file_raises_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="introuvable"):
        parse_formex(tmp_path / "absent.xml")
    with pytest.raises(ParseError, match="introuvable"):
        parse_formex(_write(tmp_path, _SYNTHETIC), annex_paths=[tmp_path / "absent-annex.xml"])
    with pytest.raises(ParseError, match="dossier"):
        parse_formex(tmp_path)


def test_empty_file_raises_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="XML"):
        parse_formex(_write(tmp_path, ""))


def test_no_article_raises_parse_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="Aucun article"):
        parse_formex(_write(tmp_path, "<ACT><PREAMBLE/><ENACTING.TERMS/></ACT>"))


def test_entities_are_refused(tmp_path: Path) -> None:
    xxe = (
        '<?xml version="1.0"?>\n<!DOCTYPE ACT [<!ENTITY secret SYSTEM "file:///etc/hostname">]>\n'
        "<ACT><ENACTING.TERMS><ARTICLE><TI.ART>Article 1</TI.ART><ALINEA>&secret;</ALINEA></ARTICLE>"
        "</ENACTING.TERMS></ACT>"
    )
    with pytest.raises(ParseError, match="entités"):
        parse_formex(_write(tmp_path, xxe))


def test_bad_annex_file(tmp_path: Path) -> None:
    annex = _write(tmp_path, "<ANNEX><TITLE><TI><P>Something else</P></TI></TITLE></ANNEX>", "annex.xml")
    with pytest.raises(ParseError, match="annexe Formex"):
        parse_formex(_write(tmp_path, _SYNTHETIC), annex_paths=[annex])
