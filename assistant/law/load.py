"""Read the law data files (TOML) once, check them, and return typed frozen objects.

Every file has a `[meta]` table (who reviewed it, when, against which text). Each check that
fails raises `ConfigError` with a French message naming the file, the entry and the field
(`fields.data_error`). `law()` reads the package's own files once per process; `load(dir)`
reads another directory (tests of malformed data).
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from types import MappingProxyType

from assistant.law.fields import Table, data_error
from assistant.law.model import (
    AI_ACT,
    CHARTER,
    CNIL_FAQ,
    CONDITIONS,
    DOCS,
    STRENGTHS,
    TRI,
    UNKNOWN,
    Challenge,
    Cues,
    Entry,
    Fact,
    FactSense,
    Law,
    Level,
    Meta,
    Obligation,
    PracticeCue,
    PracticeSense,
    Rule,
    Schedule,
    SetItem,
    SetList,
    Special,
    ThesaurusTopic,
    TrainingTopic,
)

HERE = Path(__file__).resolve().parent
FILES = (
    "levels",
    "facts",
    "riskmap",
    "cues-fr",
    "cues-en",
    "obligations",
    "charter",
    "schedule",
    "thesaurus",
    "training",
    "recommendations",
    "lists",
)
# Where a list answer is read from (lists.toml `structure`).
STRUCTURES = ("points", "paragraphs", "section", "groups", "items")
# The levels the decision code knows, and the rules it cites outside the map's entries.
LEVEL_IDS = ("prohibited", "high-risk", "limited", "minimal", "out-of-scope", "undetermined")
SPECIALS = ("profiling", "high_risk_rule", "minimal_rule")
_ROMAN = re.compile(r"[IVXL]+")
_NOUNS = {
    "rule": "règle",
    "practice_cue": "indice de pratique interdite",
    "practice_sense": "sens d'une pratique interdite",
    "fact_sense": "sens d'un fait",
    "topic": "thème",
    "expansion": "expansion",
    "chapter": "chapitre",
}


def _shown(path: Path) -> str:
    """The file as a message names it: assistant/law/x.toml for the package's own files."""
    try:
        return path.relative_to(HERE.parents[1]).as_posix()
    except ValueError:
        return str(path)


def _read(directory: Path, name: str) -> tuple[str, dict]:
    path = directory / f"{name}.toml"
    shown = _shown(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise data_error(shown, "", "", "fichier absent") from None
    except tomllib.TOMLDecodeError as exc:
        raise data_error(shown, "", "", f"syntaxe TOML invalide ({exc})") from None
    return shown, data


def _entries(file: str, data: dict, key: str, allowed: set[str], name: str = "id") -> list[Table]:
    """The tables of an array `[[key]]`, named by their `name` field (checked unique)."""
    items = data.get(key)
    if not isinstance(items, list) or not items:
        raise data_error(file, "", key, f"au moins une table [[{key}]] attendue")
    out: list[Table] = []
    seen: set[str] = set()
    for i, item in enumerate(items, 1):
        label = item.get(name) if isinstance(item, dict) and isinstance(item.get(name), str) else ""
        if not label:  # "règle 40 (contenu_hypertrucage)": the n-th table of the array, and its fact
            fact = item.get("fact") if isinstance(item, dict) else None
            label = f"{_NOUNS.get(key, key)} {i}" + (f" ({fact})" if isinstance(fact, str) else "")
        t = Table(file, label, item, allowed)
        if t.has(name):
            ident = t.text(name)
            if ident in seen:
                raise t.error(name, f"« {ident} » figure deux fois")
            seen.add(ident)
        out.append(t)
    return out


def _meta(file: str, data: dict) -> Meta:
    t = Table(file, "meta", data.get("meta"), {"reviewed_by", "reviewed_on", "basis"})
    return Meta(file, t.text("reviewed_by"), t.day("reviewed_on"), t.text("basis"))


# ---------------------------------------------------------------------------- files


def _levels(file: str, data: dict) -> tuple[Level, ...]:
    fields = {"id", "phrase", "title", "short", "sentence", "rank"}
    levels = tuple(
        Level(
            t.choice("id", LEVEL_IDS),
            t.text("phrase"),
            t.text("title"),
            t.text("short"),
            t.text("sentence"),
            t.integer("rank", 0),
        )
        for t in _entries(file, data, "level", fields)
    )
    missing = [lv for lv in LEVEL_IDS if lv not in {x.id for x in levels}]
    if missing:
        raise data_error(file, "", "level", f"niveau(x) manquant(s) : {', '.join(missing)}")
    return levels


def _facts(file: str, data: dict) -> tuple[dict[str, Fact], dict[str, tuple[str, ...]]]:
    fields = {"name", "label", "question", "values", "model", "source", "doc", "focus", "judge"}
    facts: dict[str, Fact] = {}
    for t in _entries(file, data, "fact", fields, name="name"):
        values = t.texts("values") or TRI
        if UNKNOWN not in values or len(set(values)) != len(values):
            raise t.error("values", f"valeurs distinctes attendues, dont « {UNKNOWN} »")
        name = t.text("name")
        judge = t.text("judge", "")
        if judge and values != TRI:
            raise t.error("judge", "une question de jugement (oui/non) demande les valeurs oui, non, inconnu")
        facts[name] = Fact(
            name, values, t.text("label"), t.text("question"), t.flag("model", True), t.ref(), judge=judge
        )
    enums: dict[str, tuple[str, ...]] = {}
    for t in _entries(file, data, "model_enum", {"name", "facts"}, name="name"):
        enums[t.text("name")] = t.choices("facts", list(facts), required=True)
    return facts, enums


def _requirements(t: Table, key: str, facts: dict[str, Fact]) -> dict[str, tuple[str, ...]]:
    """An inline table { fact = [values] } whose facts and values exist."""
    raw = t.data.get(key, {})
    if not isinstance(raw, dict):
        raise t.error(key, "table { fait = [valeurs] } attendue")
    out: dict[str, tuple[str, ...]] = {}
    for name, values in raw.items():
        if name not in facts:
            raise t.error(key, f"fait « {name} » inconnu (voir facts.toml)")
        if not isinstance(values, list) or not values or any(v not in facts[name].values for v in values):
            raise t.error(key, f"valeurs de « {name} » parmi : {', '.join(facts[name].values)}")
        out[name] = tuple(values)
    return out


def _riskmap(file: str, data: dict, facts: dict[str, Fact]) -> tuple[tuple[Entry, ...], dict[str, Special]]:
    fields = {
        "id",
        "level",
        "label",
        "source",
        "doc",
        "focus",
        "also",
        "requires",
        "anchors",
        "exceptions",
        "exception_label",
        "keywords",
        "cue",
        "cue_required",
        "group",
        "default",
        "questions",
        "arguable_with",
        "arguable_question",
    }
    entries = []
    arguable: list[tuple[Table, tuple[str, ...]]] = []
    for t in _entries(file, data, "entry", fields):
        requires = _requirements(t, "requires", facts)
        if not requires:
            raise t.error("requires", "au moins un fait requis")
        anchors = t.texts("anchors")
        for a in anchors:
            if a not in requires:
                raise t.error("anchors", f"« {a} » n'est pas un fait de « requires »")
        exceptions = _requirements(t, "exceptions", facts)
        questions = t.data.get("questions", {})
        if not isinstance(questions, dict) or any(
            k not in facts or not isinstance(v, str) or not v for k, v in questions.items()
        ):
            raise t.error("questions", "table { fait = « question » } attendue, sur des faits connus")
        cue = t.regex("cue", required=False)
        cue_required = t.flag("cue_required", False)
        if cue_required and not cue:
            raise t.error("cue_required", "pas d'indice « cue » à exiger")
        arguable_with = t.texts("arguable_with")
        if arguable_with:
            arguable.append((t, arguable_with))
        entries.append(
            Entry(
                t.text("id"),
                t.choice("level", LEVEL_IDS[:5]),
                (t.ref(), *t.refs("also", required=False)),
                t.text("label"),
                MappingProxyType(requires),
                anchors,
                MappingProxyType(exceptions),
                t.text("exception_label", "") if not exceptions else t.text("exception_label"),
                t.texts("keywords"),
                cue,
                cue_required,
                t.text("group", "", empty=True),
                t.flag("default", False),
                MappingProxyType(dict(questions)),
                arguable_with,
                t.text("arguable_question") if arguable_with else t.text("arguable_question", ""),
            )
        )
    ids = {e.id for e in entries}
    for t, others in arguable:
        for other in others:
            if other not in ids:
                raise t.error("arguable_with", f"entrée « {other} » absente de la carte")
    specials = data.get("special")
    if not isinstance(specials, dict):
        raise data_error(file, "", "special", "tables [special.…] attendues")
    special = {}
    for name in SPECIALS:
        t = Table(file, f"special.{name}", specials.get(name), {"lead", "source", "doc", "focus"})
        special[name] = Special(t.text("lead"), t.ref())
    for name in specials:
        if name not in SPECIALS:
            raise data_error(file, f"special.{name}", "", f"règle inconnue (attendues : {', '.join(SPECIALS)})")
    return tuple(entries), special


def _cues(file: str, data: dict, facts: dict[str, Fact]) -> Cues:
    raw = data.get("fragments", {})
    if not isinstance(raw, dict):
        raise data_error(file, "", "fragments", "table [fragments] attendue")
    fragments: dict[str, str] = {}
    frag_table = Table(file, "fragments", raw, set(raw))
    for name in raw:  # in order: a fragment may use the fragments defined before it
        fragments[name] = frag_table.regex(name, fragments)
    fields = {"id", "fact", "value", "pattern", "strength", "negatable", "source", "doc", "focus"}
    rules = []
    for t in _entries(file, data, "rule", fields):
        fact = t.choice("fact", list(facts))
        rules.append(
            Rule(
                fact,
                t.choice("value", facts[fact].values),
                re.compile(t.regex("pattern", fragments)),
                STRENGTHS[t.choice("strength", list(STRENGTHS), "high")],
                t.flag("negatable", True),
                t.ref(),
                t.text("id", ""),
            )
        )
    rule_ids = {r.id for r in rules if r.id}
    cues = []
    cue_fields = {"id", "fact", "pattern", "source", "doc", "focus", "rule"}
    for t in _entries(file, data, "practice_cue", cue_fields) if "practice_cue" in data else []:
        fact = t.choice("fact", list(facts))
        rule = t.choice("rule", sorted(rule_ids)) if t.has("rule") else ""
        cues.append(PracticeCue(fact, re.compile(t.regex("pattern", fragments)), t.ref(), t.text("id", ""), rule))
    senses = []
    sense_fields = {"id", "fact", "examples", "source", "doc", "focus"}
    for t in _entries(file, data, "practice_sense", sense_fields) if "practice_sense" in data else []:
        fact = t.choice("fact", [c.fact for c in cues] or list(facts))
        senses.append(PracticeSense(fact, _sentences(t, "décrivez la pratique"), t.ref(), t.text("id", "")))
    fact_senses = []
    practices = {c.fact for c in cues}
    for t in _entries(file, data, "fact_sense", sense_fields | {"value", "negatable"}) if "fact_sense" in data else []:
        fact = t.choice("fact", [f for f in facts if f not in practices])
        value = t.choice("value", facts[fact].values)
        examples = _sentences(t, "décrivez ce que fait le système")
        fact_senses.append(FactSense(fact, value, examples, t.ref(), t.text("id", ""), t.flag("negatable", True)))
    return Cues(MappingProxyType(fragments), tuple(rules), tuple(cues), tuple(senses), tuple(fact_senses))


def _sentences(t: Table, hint: str) -> tuple[str, ...]:
    """The `examples` of a sense: plain sentences of 20 characters or more."""
    examples = t.texts("examples", required=True)
    if any(len(x) < 20 for x in examples):
        raise t.error("examples", f"phrase trop courte (au moins 20 caractères) : {hint}")
    return examples


def _obligations(file: str, data: dict, entries: tuple[Entry, ...]) -> tuple[Obligation, ...]:
    fields = {"id", "lead", "levels", "when", "ground", "refs"}
    ids = [e.id for e in entries]
    out = tuple(
        Obligation(
            t.text("id"),
            t.text("lead"),
            t.refs("refs"),
            t.choices("levels", LEVEL_IDS, required=True),
            t.choices("when", list(CONDITIONS)),
            t.choice("ground", ids) if t.has("ground") else "",
        )
        for t in _entries(file, data, "obligation", fields)
    )
    grounds = {o.ground for o in out}
    for e in entries:  # each transparency case says what the Département must do
        if e.level == "limited" and e.id not in grounds:
            raise data_error(file, "", "ground", f"aucune obligation pour le cas de transparence « {e.id} »")
    return out


def _charter(file: str, data: dict, key: str = "challenge", doc: str = CHARTER) -> tuple[Challenge, ...]:
    """Items quoted when their conditions hold: the charter's challenges, or (key
    "recommendation", doc a CNIL text) the regulator's recommendations."""
    fields = {"id", "lead", "source", "doc", "focus", "when", "quote_chars"}
    return tuple(
        Challenge(
            t.text("id"),
            t.text("lead"),
            t.ref(doc=doc),
            t.choices("when", list(CONDITIONS), required=True),
            t.integer("quote_chars", 240, minimum=80),
        )
        for t in _entries(file, data, key, fields)
    )


def _schedule(file: str, data: dict) -> Schedule:
    chapters: list[tuple[int, str]] = []
    sections: dict[str, tuple[tuple[int, int], ...]] = {}
    for t in _entries(file, data, "chapter", {"numeral", "first_article", "title", "sections"}, name="numeral"):
        numeral = t.text("numeral")
        if not _ROMAN.fullmatch(numeral):
            raise t.error("numeral", "chiffre romain attendu (I, II, …)")
        first = t.integer("first_article", minimum=1)
        if chapters and first <= chapters[-1][0]:
            raise t.error("first_article", "les chapitres se suivent : premier article croissant")
        if not chapters and first != 1:
            raise t.error("first_article", "le chapitre I commence à l'article 1")
        chapters.append((first, numeral))
        if t.has("sections"):
            rows = [
                (s.integer("first_article", minimum=first), s.integer("number", minimum=1))
                for s in t.tables("sections", {"number", "first_article", "title"})
            ]
            if rows[0][0] != first or [r[0] for r in rows] != sorted({r[0] for r in rows}):
                raise t.error("sections", "la section 1 commence au premier article du chapitre, puis ordre croissant")
            sections[numeral] = tuple(rows)
    known = {c for _, c in chapters} | {f"{c}.{n}" for c, rows in sections.items() for _, n in rows}
    topics = []
    for t in _entries(file, data, "topic", {"pattern", "subjects"}):
        subjects = t.texts("subjects", required=True)
        for s in subjects:
            if s not in known and not re.fullmatch(r"art[1-9]\d{0,2}", s):
                raise t.error("subjects", f"« {s} » n'est ni un chapitre (II, III.4) ni un article (art78)")
        topics.append((t.regex("pattern"), frozenset(subjects)))
    return Schedule(tuple(chapters), MappingProxyType(sections), tuple(topics))


def _targets(t: Table, key: str, field: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (s.choice("doc", DOCS, AI_ACT), s.text(field, empty=field == "prefix")) for s in t.tables(key, {"doc", field})
    )


def _thesaurus(file: str, data: dict) -> tuple[tuple[ThesaurusTopic, ...], tuple[tuple[re.Pattern[str], str], ...]]:
    topics = tuple(
        ThesaurusTopic(
            t.text("name"), re.compile(t.regex("pattern")), _targets(t, "targets", "prefix"), t.flag("generic", False)
        )
        for t in _entries(file, data, "topic", {"name", "pattern", "targets", "generic"}, name="name")
    )
    expansions = tuple(
        (re.compile(t.regex("pattern")), t.text("words"))
        for t in _entries(file, data, "expansion", {"pattern", "words"})
    )
    return topics, expansions


def _training(file: str, data: dict) -> dict[str, TrainingTopic]:
    return {
        t.text("slug"): TrainingTopic(
            t.text("slug"), _targets(t, "draws_on", "prefix"), _targets(t, "key_passages", "source")
        )
        for t in _entries(file, data, "topic", {"slug", "draws_on", "key_passages"}, name="slug")
    }


def _lists(file: str, data: dict, schedule: Schedule) -> tuple[SetList, ...]:
    fields = {"id", "pattern", "opening", "structure", "source", "doc", "focus", "items"}
    starts = {f"art-{a}" for rows in schedule.sections.values() for a, _ in rows}
    out = []
    for t in _entries(file, data, "list", fields):
        structure = t.choice("structure", STRUCTURES)
        source = t.ref()
        if structure == "section" and source.ref not in starts:
            raise t.error("source", f"« {source.ref} » n'ouvre aucune section de schedule.toml")
        items: tuple[SetItem, ...] = ()
        if structure == "items":
            items = tuple(
                SetItem(i.ref(), i.text("gloss", "", empty=True))
                for i in t.tables("items", {"source", "doc", "focus", "gloss"})
            )
        elif t.has("items"):
            raise t.error("items", "réservé à structure = « items »")
        out.append(SetList(t.text("id"), re.compile(t.regex("pattern")), t.text("opening"), structure, source, items))
    return tuple(out)


# ---------------------------------------------------------------------------- all


def load(directory: Path = HERE) -> Law:
    """Read and check every law data file of `directory`."""
    files = {name: _read(directory, name) for name in FILES}
    meta = {shown: _meta(shown, data) for shown, data in files.values()}
    levels = _levels(*files["levels"])
    facts, enums = _facts(*files["facts"])
    entries, special = _riskmap(*files["riskmap"], facts)
    topics, expansions = _thesaurus(*files["thesaurus"])
    schedule = _schedule(*files["schedule"])
    return Law(
        meta=MappingProxyType(meta),
        levels=levels,
        facts=MappingProxyType(facts),
        model_enums=MappingProxyType(enums),
        entries=entries,
        special=MappingProxyType(special),
        cues_fr=_cues(*files["cues-fr"], facts),
        cues_en=_cues(*files["cues-en"], facts),
        obligations=_obligations(*files["obligations"], entries),
        charter=_charter(*files["charter"]),
        schedule=schedule,
        topics=topics,
        expansions=expansions,
        training=MappingProxyType(_training(*files["training"])),
        recommendations=_charter(*files["recommendations"], "recommendation", CNIL_FAQ),
        lists=_lists(*files["lists"], schedule),
    )


@functools.cache
def law() -> Law:
    """The package's law data, read and checked once per process."""
    return load(HERE)


__all__ = ["DOCS", "FILES", "LEVEL_IDS", "SPECIALS", "STRUCTURES", "law", "load"]
