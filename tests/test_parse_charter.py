"""Tests for assistant.ingest.parse_charter: the real Conseil de Provence text and small synthetic inputs."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest

from assistant.base.errors import ParseError
from assistant.base.units import Unit
from assistant.ingest.parse_charter import (
    is_arrow_heading,
    is_caps_heading,
    is_prose_heading,
    parse_charter,
    repair_hyphen,
    slugify,
)

CORPUS_DIR = Path(os.environ.get("ASSISTANT_CORPUS_DIR", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
CHARTER = CORPUS_DIR / "cdp-ia-miscellanees-2025.fr.txt"
REF_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _ws(text: str) -> str:
    return " ".join(text.split())


def _apos(text: str) -> str:
    return text.replace("\u2019", "'")


@pytest.fixture(scope="module")
def raw() -> str:
    if not CHARTER.is_file():
        pytest.skip(f"corpus file absent: {CHARTER}")
    return CHARTER.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def units(raw: str) -> list[Unit]:
    return parse_charter(CHARTER)


@pytest.fixture(scope="module")
def by_ref(units: list[Unit]) -> dict[str, Unit]:
    return {u.ref: u for u in units}


# --------------------------------------------------------------------------- real file: structure


def test_seven_defis_in_order(units: list[Unit]) -> None:
    defis = [u for u in units if u.kind == "defi"]
    assert [u.ref for u in defis] == [f"defi-{n}" for n in range(1, 8)]
    starts = {
        1: "Promouvoir au sein de l'institution départementale une IA accessible et inclusive",
        2: "Expliquer et communiquer de façon transparente, claire et compréhensible",
        3: "Maîtriser et assurer la sécurité et la confidentialité des données publiques",
        4: "Encourager l'innovation par des expérimentations responsables au service des citoyens",
        5: "Accompagner le déploiement et l'utilisation des SIA",
        6: "Garantir les principes de primauté de la supervision humaine et de proportionnalité",
        7: "Promouvoir une IA sobre, durable, responsable",
    }
    for n, start in starts.items():
        assert _apos(defis[n - 1].title).startswith(start), defis[n - 1].title
    for u in defis:
        assert u.parent == "contribution-1-quels-defis-la-charte-doit-elle"
        assert u.doc_id == "charte" and u.lang == "fr" and u.page is None


def test_defi_titles_have_no_footnote_numbers(by_ref: dict[str, Unit]) -> None:
    assert by_ref["defi-7"].title == "Promouvoir une IA sobre, durable, responsable"
    # "…souveraineté numérique6 visant…" in the source
    assert "numérique visant" in by_ref["defi-3"].title
    assert not any(ch.isdigit() for ch in by_ref["defi-3"].title)
    # the heading wrapped over three lines, the last one starting with a lower-case word
    assert by_ref["defi-3"].title.endswith("réduire la dépendance aux acteurs étrangers)")
    assert by_ref["defi-4"].title.endswith("au service des citoyens")


def test_defi_labels(by_ref: dict[str, Unit]) -> None:
    assert by_ref["defi-6"].label == (
        "Charte IA du Département (projet), défi 6 : "
        "Garantir les principes de primauté de la supervision humaine et de proportionnalité"
    )
    assert by_ref["defi-6-proportionnalite"].label == "Charte IA du Département (projet), défi 6 — Proportionnalité"


def test_defi_6_sections(units: list[Unit], by_ref: dict[str, Unit]) -> None:
    children = [u.ref for u in units if u.parent == "defi-6"]
    assert children == ["defi-6-primaute-de-la-supervision-humaine", "defi-6-proportionnalite"]
    primaute = by_ref["defi-6-primaute-de-la-supervision-humaine"]
    assert primaute.kind == "section"
    assert primaute.title == "Défi 6 — Primauté de la supervision humaine"
    assert "Les décisions finales doivent être prises par des êtres humains." in primaute.text
    proportion = by_ref["defi-6-proportionnalite"]
    assert proportion.title == "Défi 6 — Proportionnalité"
    assert _apos(proportion.text).startswith("Le recours à l'IA doit être proportionné")
    assert by_ref["defi-6"].text == ""  # no words of its own before "➔ Primauté…"


def test_other_defi_sections(units: list[Unit], by_ref: dict[str, Unit]) -> None:
    assert [u.ref for u in units if u.parent == "defi-1"] == [
        "defi-1-accessibilite",
        "defi-1-inclusion",
        "defi-1-equite",
    ]
    assert [u.ref for u in units if u.parent == "defi-3"] == [
        "defi-3-maitrise-des-donnees",
        "defi-3-collecte-traitement-et-stockage-des-donnees",
        "defi-3-protection-des-donnees-personnelles",
        "defi-3-securite-et-cybersecurite",
        "defi-3-defi-connexe-renforcer-la-culture",
    ]
    assert by_ref["defi-3-defi-connexe-renforcer-la-culture"].title == (
        "Défi 3 — Défi connexe : Renforcer la culture de la data en interne"
    )
    # "➔" lines that are list items stay in the text of their défi
    for n in (2, 4, 5, 7):
        assert not any(u.parent == f"defi-{n}" for u in units)
    assert "- Limiter les usages non essentiels" in by_ref["defi-7"].text.split("\n")
    defi_4 = by_ref["defi-4"].text
    assert "Plusieurs critères d’évaluation peuvent être retenus" in defi_4
    assert "- Respect des engagements en matière de sobriété énergétique ;" in defi_4.split("\n")
    # défi 1 intro: the sub-title line under the heading
    assert by_ref["defi-1"].text == "Garantir un accès, un usage et un traitement équitable et non-discriminatoire"


def test_parts_and_contributions(units: list[Unit], by_ref: dict[str, Unit]) -> None:
    for ref in (
        "propos-liminaires",
        "propos-introductifs",
        "atouts-et-limites",
        "contribution-1",
        "contribution-1-preconisations",
        "contribution-1-principes-de-l-ia-de-confiance",
        "contribution-1-quels-defis-la-charte-doit-elle",
        "contribution-2",
        "contribution-3",
    ):
        assert ref in by_ref, ref
        assert by_ref[ref].kind == "section"
    assert by_ref["contribution-1"].title == "Contribution #1 : Charte Intelligence artificielle"
    assert by_ref["contribution-2"].title.startswith("Contribution #2 : Souveraineté des données")
    # printed "Contribution #2 :" in the source, but it is the third contribution
    assert by_ref["contribution-3"].title.startswith("Contribution #3 : Green AI et AI for Green")
    assert by_ref["propos-introductifs"].title == "Propos introductifs : éléments de contexte"
    tops = [u.ref for u in units if u.parent is None]
    assert tops[:4] == ["propos-liminaires", "propos-introductifs", "atouts-et-limites", "contribution-1"]
    assert "contribution-2" in tops and "contribution-3" in tops
    for n in (2, 3):
        sections = [u for u in units if u.parent == f"contribution-{n}"]
        assert len(sections) >= 10
        assert all(u.ref.startswith(f"contribution-{n}-") for u in sections)
    assert "contribution-2-developper-un-cloud-departemental" in by_ref
    assert "contribution-3-green-ai-ia-frugale" in by_ref


def test_preconisations(by_ref: dict[str, Unit]) -> None:
    p1, p2 = by_ref["preconisation-1"], by_ref["preconisation-2"]
    assert p1.kind == p2.kind == "preconisation"
    assert p1.title == "Elaborer une charte départementale Intelligence Artificielle"
    assert p2.title == "Organiser une gouvernance spécifique et adaptée"
    assert p1.parent == p2.parent == "contribution-1-preconisations"
    assert by_ref["contribution-1-principes-de-l-ia-de-confiance"].parent == "preconisation-1"
    assert "preconisation-3" not in by_ref


def test_refs_unique_well_formed_and_tree_consistent(units: list[Unit]) -> None:
    refs = [u.ref for u in units]
    assert len(refs) == len(set(refs))
    seen: set[str] = set()
    for u in units:
        assert REF_RE.match(u.ref), u.ref
        assert u.parent is None or u.parent in seen, (u.ref, u.parent)  # parents come first
        assert u.label and u.title
        seen.add(u.ref)


def test_footnotes_moved_to_their_unit(by_ref: dict[str, Unit]) -> None:
    defi_7 = by_ref["defi-7"].text
    assert defi_7.split("\n")[-1].startswith("[14] Cf rapport CDP « Green IA et IA for green")
    proportion = by_ref["defi-6-proportionnalite"].text
    assert "fin en soi [13]»" in proportion
    assert proportion.endswith("[13] Conseil d’Etat, Ibid.")
    assert by_ref["defi-3"].text.endswith(
        "[6] Cf rapport CDP « Souveraineté des données et IA : enjeux et orientations pour le "
        "département des Bouches-du-Rhône »"
    )
    assert "[1] Contenu détaillé en pages annexes" in by_ref["propos-liminaires"].text
    assert by_ref["atouts-et-limites"].text.startswith("[2] In rapport Délégation générale du CDP")


# --------------------------------------------------------------------------- real file: text quality


def test_no_line_wrap_hyphen_artefacts(raw: str, units: list[Unit]) -> None:
    # the source wraps these compounds at their hyphen
    assert "Bouches-\n du-Rhône" in raw and "Aix-\nMarseille" in raw
    assert "bas-\ncarbone" in raw and "Sud-\n\nEst" in raw
    text = "\n".join(u.text for u in units)
    for bad in ("Bouches- du", "Bouchesdu", "Aix- Marseille", "AixMarseille", "bas- carbone", "bascarbone", "Sud- Est"):
        assert bad not in text, bad
    for good in ("département des Bouches-du-Rhône doit donc aborder", "Aix-Marseille Université", "bas-carbone"):
        assert good in text, good
    assert "notamment dans le Sud-Est. Or, une partie importante" in text


def test_no_page_noise_or_stray_bullets(units: list[Unit]) -> None:
    for u in units:
        for para in u.text.split("\n") if u.text else []:
            assert para == para.strip() and "  " not in para, (u.ref, para)
            assert not re.fullmatch(r"\d{1,3}", para), (u.ref, para)
            assert para.strip("-➔➢• ") and "\uf0e6" not in para, (u.ref, para)
            assert not para.startswith(("➔", "➢", "•")), (u.ref, para)
    # the page numbers of the image-only annex pages are gone, the annex itself is kept
    assert any(u.ref == "contribution-1-annexe-2" and u.text == "" for u in units)


SAMPLES = [
    "Madame la Présidente du Conseil départemental a saisi les membres de l’instance consultative",
    "Il s’appuie sur une approche basée sur les risques, catégorisant les systèmes d’IA selon leur impact potentiel",
    "Biais d’automatisation (excès de confiance)",
    "Formaliser les valeurs, engagements et principes qui guident l’implantation, le déploiement et "
    "l’utilisation de l’IA dans l’institution départementale",
    "Transparence : la traçabilité des systèmes d'IA doit être assurée.",
    "Sensibiliser aux biais algorithmiques et aux enjeux d’équité et de non-discrimination",
    "Informer agents et usagers, le cas échéant, de l’utilisation d’algorithmes pour la prise de décision",
    "Privilégier l’hébergement sur les infrastructures départementales et envisager des exigences "
    "d’hébergement en France ou dans l’Union Européenne",
    "Dresser un état des lieux des données disponibles en interne et en open data",
    "Exclusion de toute utilisation d’algorithmes pour des prises de décisions individuelles entièrement automatisées",
    "Proposer des actions éducatives aux collégiens en matière de prévention des risques",
    "Toute décision assistée par IA doit être obligatoirement validée par un humain qui en porte la responsabilité.",
    "Elle ne doit pas accroître la complexité administrative.",
    "Limiter les usages non essentiels",
    "créer un conseil de surveillance paritaire avec les syndicats ayant pour mission de valider les axes de travail",
    "Le Data Governance Act (règlement UE 2022/868) vise à faciliter le partage de données dans un cadre de confiance",
    "Le département pourrait explorer la mise en place, seul ou avec d’autres collectivités, d’un cloud de proximité",
    "une requête à ChatGPT consomme 10 fois plus d'électricité par rapport à une recherche avec Google",
    "près de 20 % de l’eau potable distribuée est perdue chaque année dans les réseaux à cause des fuites",
    "L’approche philosophique et sociologique de l’IA",
]


def test_sample_sentences_each_in_exactly_one_unit_in_order(raw: str, units: list[Unit]) -> None:
    raw_flat = _ws(raw)
    texts = [_ws(u.text) for u in units]
    positions = []
    for sentence in SAMPLES:
        assert sentence in raw_flat, f"not a sentence of the source: {sentence}"
        hits = [i for i, t in enumerate(texts) if sentence in t]
        assert len(hits) == 1, (sentence, [units[i].ref for i in hits])
        positions.append(hits[0])
    assert positions == sorted(positions)  # document order


def _tokens(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[^\W\d_]+", text))


def test_every_source_line_is_kept(raw: str, units: list[Unit]) -> None:
    """Each meaningful line's words (digits aside: footnote calls move) appear in the output."""
    out = " | ".join(_tokens(f"{u.label} {u.title} {u.text}") for u in units)
    missing = [line for line in raw.splitlines() if _tokens(line) and f"{_tokens(line)}" not in out]
    assert missing == []


# --------------------------------------------------------------------------- synthetic inputs


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("le déve-", "loppement durable", "le développement durable"),
        ("une appro-", "che mesurée", "une approche mesurée"),
        ("celle-", "ci reste", "celle-ci reste"),
        ("a-", "t-il dit", "a-t-il dit"),
        ("des Bouches-", "du-Rhône", "des Bouches-du-Rhône"),
        ("Aix-", "Marseille Université", "Aix-Marseille Université"),
        ("la non-", "discrimination", "la non-discrimination"),
        ("le Sud-", "Est", "le Sud-Est"),
        ("objectif de -40 % en 2030-", "2035", "objectif de -40 % en 2030-2035"),
        ("sans tiret", "ensuite", "sans tiret ensuite"),
    ],
)
def test_repair_hyphen(left: str, right: str, expected: str) -> None:
    assert repair_hyphen(left, right) == expected


def test_repair_hyphen_uses_the_document_vocabulary() -> None:
    assert repair_hyphen("éco-", "responsable", frozenset({"éco-responsable"})) == "éco-responsable"
    assert repair_hyphen("éco-", "responsable", frozenset()) == "écoresponsable"
    assert repair_hyphen("gou-", "vernance", frozenset({"gou-vernance", "gouvernance"})) == "gouvernance"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("➔ Proportionnalité", True),
        ("➔ Primauté de la supervision humaine", True),
        ("➔ A propos du cadre de confiance\x003\x00", True),
        ("➔ Pourquoi élaborer une charte ?", True),
        ("➔  Défi connexe : Renforcer la culture de la data en interne", True),
        ("➔ Limiter les usages non essentiels", False),  # infinitive: a list item
        ("➔ Organiser les modalités de partage et de validation des expérimentations.", False),
        ("➔ Soutenir la recherche et enseignement supérieur ;", False),
        ("➔ La consommation croissante d’énergie pour le stockage et le traitement des données est un enjeu", False),
        ("Proportionnalité", False),  # no arrow
    ],
)
def test_is_arrow_heading(line: str, expected: bool) -> None:
    assert is_arrow_heading(line) is expected


def test_caps_and_prose_headings() -> None:
    assert is_caps_heading("PRECONISATIONS")
    assert is_caps_heading("GREEN AI (IA frugale)")
    assert is_caps_heading("INTELLIGENCE ARTIFICIELLE : ATOUTS & LIMITES\x002\x00")
    assert not is_caps_heading("IA")
    assert not is_caps_heading(
        "GREEN AI (IA frugale) : Désigne un courant de recherche et de développement en IA visant"
    )
    assert is_prose_heading("Les enjeux environnementaux", "Le développement du numérique s’accompagne")
    assert is_prose_heading("Développer un cloud départemental", "Le département pourrait explorer")
    assert not is_prose_heading("Autres exemples :", "• Helsinki (Finlande) : la ville")
    assert not is_prose_heading("• Conseil national du numérique (CNNum)", "Dans son rapport")
    assert not is_prose_heading("Source : Direction générale des entreprises.gouv.fr", "La France voit")
    assert not is_prose_heading("Les bénéfices sont tangibles : l’IA contribue à", "réduire jusqu’à 20 %")
    assert not is_prose_heading("Un titre en fin de document", None)


def test_slugify() -> None:
    assert slugify("Primauté de la supervision humaine") == "primaute-de-la-supervision-humaine"
    assert slugify("Principes de l’IA de confiance") == "principes-de-l-ia-de-confiance"
    assert slugify("Défi connexe : Renforcer la culture de la data en interne") == "defi-connexe-renforcer-la-culture"
    assert slugify("Maîtrise des données") == "maitrise-des-donnees"
    assert slugify("La mise en œuvre") == "la-mise-en-oeuvre"


SYNTHETIC = """\
 PROPOS LIMINAIRES
Le présent document porte sur le déve-
loppement de l’IA dans les Bouches-
 du-Rhône, celle-
ci étant utile.

12
 PRECONISATIONS
1  Elaborer une charte
Elle permettrait de définir des principes.
\uf0e6
➔ Quels défis la charte doit-elle relever ?
Les éléments présentés ci-après.
 Défi 1 : Promouvoir une IA sobre et responsable1
\uf0e6Limiter les usages.

➔ Accessibilité
\uf0e6Faciliter l’accès aux services ;
\uf0e6Simplifier les démarches.

1 Cf rapport CDP sur la sobriété.
 Défi 2 : Expliquer de façon
transparente
➔ Limiter les usages non essentiels
➔ Utiliser l’IA pour la transition
"""


def _write(tmp_path: Path, content: str, name: str = "charte.txt") -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_synthetic_document(tmp_path: Path) -> None:
    units = parse_charter(_write(tmp_path, SYNTHETIC), doc_id="test", lang="fr")
    by_ref = {u.ref: u for u in units}
    assert [u.ref for u in units] == [
        "propos-liminaires",
        "contribution-1",
        "contribution-1-preconisations",
        "preconisation-1",
        "contribution-1-quels-defis-la-charte-doit-elle",
        "defi-1",
        "defi-1-accessibilite",
        "defi-2",
    ]
    assert all(u.doc_id == "test" for u in units)
    assert by_ref["propos-liminaires"].text == (
        "Le présent document porte sur le développement de l’IA dans les Bouches-du-Rhône, celle-ci étant utile."
    )
    assert by_ref["preconisation-1"].title == "Elaborer une charte"
    assert by_ref["preconisation-1"].text == "Elle permettrait de définir des principes."
    defi_1 = by_ref["defi-1"]
    assert defi_1.title == "Promouvoir une IA sobre et responsable"
    assert defi_1.text == "- Limiter les usages.\n[1] Cf rapport CDP sur la sobriété."
    assert by_ref["defi-1-accessibilite"].text == "- Faciliter l’accès aux services ;\n- Simplifier les démarches."
    defi_2 = by_ref["defi-2"]
    assert defi_2.title == "Expliquer de façon transparente"
    assert defi_2.text == "- Limiter les usages non essentiels\n- Utiliser l’IA pour la transition"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="introuvable") as err:
        parse_charter(tmp_path / "absent.txt")
    assert "ASSISTANT_CORPUS_DIR" in str(err.value)


@pytest.mark.parametrize("content", ["", "\n \n\t\n", "12\n\uf0e6\n \n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    with pytest.raises(ParseError, match="est vide"):
        parse_charter(_write(tmp_path, content))


def test_no_defi(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="ne contient aucun « Défi » reconnu"):
        parse_charter(_write(tmp_path, " PROPOS LIMINAIRES\nUn texte sans charte.\n"))


def test_duplicate_or_missing_defi(tmp_path: Path) -> None:
    twice = " PRECONISATIONS\n Défi 1 : Un\nTexte.\n Défi 1 : Encore un\nTexte.\n"
    with pytest.raises(ParseError, match="apparaît deux fois"):
        parse_charter(_write(tmp_path, twice))
    gap = " PRECONISATIONS\n Défi 1 : Un\nTexte.\n Défi 3 : Trois\nTexte.\n"
    with pytest.raises(ParseError, match="ne se suivent pas"):
        parse_charter(_write(tmp_path, gap, "gap.txt"))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Défi 1 : Élaborer".encode("latin-1"))
    with pytest.raises(ParseError, match="UTF-8"):
        parse_charter(path)
