"""The law as data (assistant/law/*.toml): every provision it names is in the built index, each
file says who reviewed it, and a malformed file stops start-up with a French message that names
the file, the entry and the field."""

from __future__ import annotations

import datetime
import re
import shutil
from pathlib import Path

import pytest

from assistant.assess import assessor, riskmap
from assistant.assess.levels import LEVELS
from assistant.base.errors import ConfigError
from assistant.base.settings import PROJECT_ROOT
from assistant.law import CONDITIONS, DOCS, FILES, Law, law, load
from assistant.law.load import HERE


def provisions(data: Law) -> list[tuple[str, str, str, str]]:
    """(where, doc, ref, kind) of every provision the law data names; kind: exact ref or prefix."""
    out: list[tuple[str, str, str, str]] = []
    for f in data.facts.values():
        assert f.source is not None
        out.append((f"facts.toml {f.name}", f.source.doc_id, f.source.ref, "ref"))
    for e in data.entries:
        out += [(f"riskmap.toml {e.id}", r.doc_id, r.ref, "ref") for r in e.refs]
    for name, sp in data.special.items():
        out.append((f"riskmap.toml special.{name}", sp.ref.doc_id, sp.ref.ref, "ref"))
    for file, cues in (("cues-fr.toml", data.cues_fr), ("cues-en.toml", data.cues_en)):
        for i, r in enumerate(cues.rules, 1):
            assert r.source is not None
            out.append((f"{file} règle {i} ({r.fact})", r.source.doc_id, r.source.ref, "ref"))
    for ob in data.obligations:
        out += [(f"obligations.toml {ob.id}", r.doc_id, r.ref, "ref") for r in ob.refs]
    out += [(f"charter.toml {c.id}", c.ref.doc_id, c.ref.ref, "ref") for c in data.charter]
    out += [(f"recommendations.toml {r.id}", r.ref.doc_id, r.ref.ref, "ref") for r in data.recommendations]
    out += [(f"schedule.toml chapitre {n}", "ai-act", f"art-{a}", "prefix") for a, n in data.schedule.chapters]
    for chapter, sections in data.schedule.sections.items():
        out += [(f"schedule.toml {chapter}.{n}", "ai-act", f"art-{a}", "prefix") for a, n in sections]
    for t in data.topics:
        out += [(f"thesaurus.toml {t.name}", d, p, "prefix") for d, p in t.targets]
    for slug, t in data.training.items():
        out += [(f"training.toml {slug}", d, p, "prefix") for d, p in t.draws_on]
        out += [(f"training.toml {slug}", d, r, "ref") for d, r in t.key_passages]
    for lst in data.lists:
        out.append((f"lists.toml {lst.id}", lst.source.doc_id, lst.source.ref, "prefix"))
        out += [(f"lists.toml {lst.id}", i.ref.doc_id, i.ref.ref, "ref") for i in lst.items]
    return out


def test_every_provision_named_by_the_law_data_is_in_the_index(fake_index_dir):
    from assistant.search.index import load_index

    index = load_index(fake_index_dir)
    refs: set[tuple[str, str]] = set()
    for c in index.chunks:
        refs.add((c.doc_id, c.ref))
        refs.update((c.doc_id, s.ref) for s in c.spans)
    named = provisions(law())
    assert len(named) > 300  # every fact, entry, rule, obligation, challenge, chapter and topic
    missing = []
    for where, doc, ref, kind in named:
        if kind == "ref":
            found = (doc, ref) in refs
        else:  # a prefix names a provision and its parts ("art-113": article 113 and its paragraphs)
            found = any(d == doc and (not ref or r == ref or r.startswith(ref + "-")) for d, r in refs)
        if not found:
            missing.append(f"{where} → {doc} {ref}")
    assert missing == []


def test_each_file_says_who_reviewed_it_and_against_which_text():
    data = law()
    assert [m.file for m in data.meta.values()] == [f"assistant/law/{name}.toml" for name in FILES]
    for m in data.meta.values():
        assert m.reviewed_by and isinstance(m.reviewed_on, datetime.date)
        assert "2024/1689" in m.basis or "charte" in m.basis.lower() or "CNIL" in m.basis
    assert data.meta["assistant/law/riskmap.toml"].basis == (
        "Règlement (UE) 2024/1689 tel que modifié par le règlement (UE) 2026/1744"
    )


def test_the_data_is_read_once_and_frozen():
    assert law() is law()
    entry = law().entries[0]
    with pytest.raises(AttributeError):
        entry.level = "minimal"  # type: ignore[misc]
    with pytest.raises(TypeError):
        entry.requires["systeme_ia"] = ("oui",)  # type: ignore[index]


def test_the_modules_read_the_data():
    data = law()
    assert riskmap.ENTRIES is data.entries and riskmap.RULES is data.cues_fr.rules
    assert LEVELS == ("prohibited", "high-risk", "limited", "minimal", "out-of-scope", "undetermined")
    assert all(doc in DOCS for _, doc, _, _ in provisions(data))


def test_the_assessor_computes_every_condition_the_data_may_name():
    decision = riskmap.decide(riskmap.blank_facts())
    assert set(assessor._conditions(riskmap.blank_facts(), decision)) == set(CONDITIONS)


def test_every_transparency_case_and_prohibited_point_is_in_the_map():
    ids = {e.id for e in law().entries}
    assert {f"art-5-1-{p}" for p in "abcdefgh"} | {"art-5-1-ba"} <= ids
    grounds = {o.ground for o in law().obligations}
    assert {e.id for e in law().entries if e.level == "limited"} <= grounds


# ---------------------------------------------------------------------------- malformed data


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    for name in FILES:
        shutil.copy(HERE / f"{name}.toml", tmp_path / f"{name}.toml")
    return tmp_path


def edit(directory: Path, name: str, old: str, new: str) -> None:
    path = directory / f"{name}.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def refused(directory: Path) -> str:
    with pytest.raises(ConfigError) as err:
        load(directory)
    message = str(err.value)
    assert message.startswith("Données juridiques ") and message.endswith(
        "Corrigez le fichier puis relancez `make test`."
    )
    return message


def test_the_copy_of_the_package_data_loads(copy):
    assert load(copy).entries == law().entries


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (  # missing source
            "riskmap",
            'source = "art-5-1-f"\n',
            "",
            "riskmap.toml, entrée « art-5-1-f », champ « source » : référence absente",
        ),
        (  # unknown fact in `requires`
            "riskmap",
            'requires = { reconnaissance_emotions = ["oui"], contexte_travail_ou_ecole = ["oui"] }',
            'requires = { emotions = ["oui"], contexte_travail_ou_ecole = ["oui"] }',
            "entrée « art-5-1-f », champ « requires » : fait « emotions » inconnu",
        ),
        (  # value a fact cannot take
            "riskmap",
            'requires = { reconnaissance_emotions = ["oui"], contexte_travail_ou_ecole = ["oui"] }',
            'requires = { reconnaissance_emotions = ["peut-être"], contexte_travail_ou_ecole = ["oui"] }',
            "champ « requires » : valeurs de « reconnaissance_emotions » parmi : oui, non, inconnu",
        ),
        (  # unknown level
            "riskmap",
            'id = "art-5-1-f"\nlevel = "prohibited"',
            'id = "art-5-1-f"\nlevel = "interdit"',
            "entrée « art-5-1-f », champ « level » : valeur « interdit » inconnue",
        ),
        (  # wrong type
            "riskmap",
            'id = "art-5-1-a"\nlevel = "prohibited"',
            'id = "art-5-1-a"\ndefault = "oui"\nlevel = "prohibited"',
            "entrée « art-5-1-a », champ « default » : true ou false attendu, trouvé un texte",
        ),
        (  # a typo in a field name
            "riskmap",
            'id = "art-5-1-f"\nlevel = "prohibited"',
            'id = "art-5-1-f"\nsorce = "art-5-1-f"\nlevel = "prohibited"',
            "entrée « art-5-1-f », champ « sorce » : champ inconnu",
        ),
        (  # anchor that is not required
            "riskmap",
            'anchors = ["reconnaissance_emotions"]',
            'anchors = ["profilage"]',
            "champ « anchors » : « profilage » n'est pas un fait de « requires »",
        ),
        (  # invalid regex
            "cues-fr",
            "  'deep ?fakes?',\n",
            "  '(deep ?fakes?',\n",
            "entrée « règle 34 (contenu_hypertrucage) », champ « pattern » : expression régulière invalide (missing )",
        ),
        (  # a fragment that does not exist
            "cues-fr",
            "{persons_work}|{persons_school}|{persons_public}",
            "{persons_work}|{personnes}|{persons_public}",
            "fragment « {personnes} » inconnu",
        ),
        (  # the meta table: a date written as text
            "charter",
            "reviewed_on = 2026-12-02",
            'reviewed_on = "2 décembre 2026"',
            "charter.toml, entrée « meta », champ « reviewed_on » : date attendue",
        ),
        (  # a condition the assessment does not compute
            "obligations",
            'when = ["travail-ou-ecole"]',
            'when = ["travail"]',
            "entrée « information-representants-personnel », champ « when » : valeur « travail » inconnue",
        ),
        (  # an obligation that rests on an entry the map does not have
            "obligations",
            'ground = "art-6-1"',
            'ground = "art-6-1-x"',
            "entrée « date-annexe-i », champ « ground » : valeur « art-6-1-x » inconnue",
        ),
        (  # a chapter out of order
            "schedule",
            "first_article = 50\n",
            "first_article = 4\n",
            "schedule.toml, entrée « IV », champ « first_article » : les chapitres se suivent",
        ),
        (  # a list read from a structure the code does not know
            "lists",
            'structure = "section"',
            'structure = "chapitre"',
            "lists.toml, entrée « exigences-haut-risque », champ « structure » : valeur « chapitre » inconnue",
        ),
        (  # a section list that does not start a section of schedule.toml
            "lists",
            'source = "art-8"',
            'source = "art-9"',
            "entrée « exigences-haut-risque », champ « source » : « art-9 » n'ouvre aucune section",
        ),
        (  # TOML syntax
            "thesaurus",
            '[[topic]]\nname = "dates"',
            '[[topic]\nname = "dates"',
            "thesaurus.toml : syntaxe TOML invalide",
        ),
    ],
)
def test_malformed_data_is_refused_with_file_entry_and_field(copy, name, old, new, expected):
    edit(copy, name, old, new)
    message = refused(copy)
    assert f"{copy}/{name}.toml" in message
    assert expected in message


def test_a_missing_file_is_named(copy):
    (copy / "facts.toml").unlink()
    assert "facts.toml : fichier absent" in refused(copy)


def test_the_package_files_are_named_as_in_the_repository():
    from assistant.law.fields import data_error

    message = str(data_error("assistant/law/riskmap.toml", "art-5-1-f", "source", "référence absente"))
    assert message == (
        "Données juridiques assistant/law/riskmap.toml, entrée « art-5-1-f », champ « source » : référence absente. "
        "Corrigez le fichier puis relancez `make test`."
    )


def test_the_model_prompt_lists_the_fields_and_values_of_the_data():
    """The versioned prompt names every field the model fills and the values of its lists: a fact or
    a value added to facts.toml must be added there too (docs/LAW-DATA.md)."""
    prompt = (PROJECT_ROOT / "prompts" / "assess.system.md").read_text(encoding="utf-8")
    lines = dict(re.findall(r"^- (\w+) : (.*)$", prompt, re.M))
    assert list(lines) == assessor.MODEL_FIELDS
    for name in assessor.MODEL_FIELDS:
        values = riskmap.MODEL_ENUMS.get(name) or riskmap.FACTS[name].values
        if values == riskmap.TRI:
            continue
        listed = [v.strip() for v in re.sub(r"\([^)]*\)", "", lines[name]).rstrip(".").split(",")]
        assert listed == [v for v in values if v != riskmap.UNKNOWN], name
