"""The AI Act's risk categories checked against the facts of a planned use, by code.

The verdict of an assessment never rests on free generation (LESSONS.md, 2 and 7): the
facts of a planned use (extracted from its description by keywords and by the model, see
`assessor.py`) are checked against the map. The map itself is law data reviewed by jurists
(`assistant/law/facts.toml`, `riskmap.toml`, `cues-fr.toml`, `cues-en.toml`; docs/LAW-DATA.md);
this module holds the logic that reads it. It covers:

- the prohibited practices of art. 5(1) a)–h), plus points (ba)/(bb) inserted by
  Regulation (EU) 2026/1744 (non-consensual intimate images, child sexual abuse material),
  with their conditions and exceptions;
- each Annex III area and point (art. 6(2)), the art. 6(3) derogations and their
  exception (profiling of natural persons is always high-risk), the 2026 clarification of
  what is not a safety component (new art. 6(1a));
- the transparency cases of art. 50(1)–(4);
- the exclusions of art. 2 (military, research only, testing before putting into service,
  purely personal use, free and open-source) and systems that are not AI systems (art. 3(1));
- minimal risk otherwise.

Facts are tri-state ("oui" / "non" / "inconnu") or small enums with an explicit "inconnu".
An entry *matches* when all its required facts hold; it is *possible* when its anchor facts
hold and the others are unknown (the question to ask then goes to `to_clarify`). Levels:
prohibited > high-risk > limited > minimal; out-of-scope for the art. 2 exclusions;
undetermined when an entry of a higher level than the one established is only possible, or
when the description does not say what the system does.

The keyword extractor (`keyword_facts`) is deterministic patterns on accent-folded text
(`text.norm.fold`), written from the wording of the AI Act, not from any question set: the
rules of the data files in their order, the first match of each, plus the composite cues below
that need two words at once (an emotion and a face), whose words are named fragments of the data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from assistant.assess import levels
from assistant.law import HIGH, TRI, UNKNOWN, Entry, Fact, Rule, data_error, law
from assistant.law import LOW as LOW  # re-exported: the strengths of a keyword finding
from assistant.law import NO as NO
from assistant.law import YES as YES
from assistant.law import Ref as Ref  # re-exported: the provisions the assessment cites
from assistant.text.norm import fold

_LAW = law()

# Functions presumed absent when a description states a concrete task without them.
_PRESUMED_ABSENT = (
    "fins_repressives",
    "fournisseur",
    "decision_sur_personnes",
    "interagit_avec_personnes",
    "genere_contenu",
    "contenu_hypertrucage",
    "publication_externe",
    "reconnaissance_emotions",
    "profilage",
    "notation_sociale",
    "manipulation_subliminale",
    "exploitation_vulnerabilites",
    "prediction_infraction",
    "moissonnage_visages",
    "categorisation_sensible",
    "images_intimes",
    "usage_militaire",
    "recherche_uniquement",
    "essai_avant_mise_en_service",
    "usage_personnel",
    "licence_libre",
)

# Names this module's code uses: checked at import against the law data.
_CODE_FACTS = {
    *_PRESUMED_ABSENT,
    "systeme_ia",
    "finalite_definie",
    "domaine",
    "decision_automatisee",
    "tache_procedurale_etroite",
    "contexte_travail_ou_ecole",
    "donnees_biometriques",
    "biometrie",
    "composant_securite",
}
_CODE_VALUES = {
    "domaine": {"infrastructures_critiques", "emploi_rh", "autre"},
    "biometrie": {"aucune", "verification", "identification", "categorisation"},
    "decision_automatisee": {"totale"},
}
_CODE_ENTRIES = ("art-2-12", "art-6-3")
_CODE_FRAGMENTS = {
    "cues-fr": (
        "tech",
        "emotion",
        "emotion_source",
        "sensitive_inference",
        "biometric_source",
        "persons_work",
        "persons_school",
        "persons_public",
        "work_or_school_setting",
    ),
    "cues-en": ("emotion", "emotion_source", "work", "public", "sensitive_inference", "biometric_source"),
}


def _check_code_names() -> None:
    """The facts, values, entries and fragments this module names must exist in the law data."""
    facts = _LAW.facts
    for name in sorted(_CODE_FACTS - set(facts)):
        raise data_error("assistant/law/facts.toml", name, "name", "fait utilisé par le code, absent du fichier")
    for name, values in _CODE_VALUES.items():
        for v in sorted(values - set(facts[name].values)):
            raise data_error(
                "assistant/law/facts.toml", name, "values", f"valeur « {v} » utilisée par le code, absente"
            )
    for kind in ("pratique_interdite", "exclusion"):
        if kind not in _LAW.model_enums:
            raise data_error("assistant/law/facts.toml", kind, "model_enum", "liste utilisée par le code, absente")
    for ident in _CODE_ENTRIES:
        if ident not in {e.id for e in _LAW.entries}:
            raise data_error("assistant/law/riskmap.toml", ident, "id", "entrée utilisée par le code, absente")
    for file, names in _CODE_FRAGMENTS.items():
        fragments = (_LAW.cues_fr if file == "cues-fr" else _LAW.cues_en).fragments
        for name in names:
            if name not in fragments:
                raise data_error(
                    f"assistant/law/{file}.toml", "fragments", name, "fragment utilisé par le code, absent"
                )


_check_code_names()

FACTS: dict[str, Fact] = dict(_LAW.facts)
DOMAINS = tuple(v for v in FACTS["domaine"].values if v != UNKNOWN)
BIOMETRICS = FACTS["biometrie"].values
AUTOMATION = FACTS["decision_automatisee"].values
PROHIBITED_KINDS = _LAW.model_enums["pratique_interdite"]
EXCLUSION_KINDS = _LAW.model_enums["exclusion"]
LEVELS = levels.LEVELS
RANK = levels.RANK
LEVEL_FR = levels.PHRASE


# ---------------------------------------------------------------------------- facts

# The two enums the model fills instead of fourteen booleans (fewer tokens for a 1.5B model).
MODEL_ENUMS = {name: ("aucune", *kinds, UNKNOWN) for name, kinds in _LAW.model_enums.items()}


def blank_facts() -> dict[str, object]:
    """Every fact unknown (domaine: an empty list)."""
    return {name: ([] if name == "domaine" else UNKNOWN) for name in FACTS}


def normalise_facts(given: Mapping[str, object] | None) -> tuple[dict[str, object], list[str]]:
    """Keep the valid facts of a caller's dict (values in the enums); return them and the French
    notes on what was ignored. Model enums (pratique_interdite, exclusion) are expanded."""
    out: dict[str, object] = {}
    notes: list[str] = []
    for key, value in (given or {}).items():
        if key in MODEL_ENUMS:
            if isinstance(value, str) and value in MODEL_ENUMS[key]:
                out.update(expand_enum(key, value))
            else:
                notes.append(f"fait « {key} » ignoré : valeur non reconnue")
            continue
        fact = FACTS.get(key)
        if fact is None:
            notes.append(f"fait « {key} » inconnu, ignoré")
            continue
        if key == "domaine":
            vals = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []
            vals = [v for v in vals if isinstance(v, str) and v in DOMAINS]
            if vals or value in (UNKNOWN, [], ()):
                out[key] = vals
            else:
                notes.append("fait « domaine » ignoré : valeur non reconnue")
            continue
        if isinstance(value, bool):
            value = YES if value else NO
        if isinstance(value, str) and value in fact.values:
            out[key] = value
        else:
            notes.append(f"fait « {key} » ignoré : valeur non reconnue")
    return out, notes


def expand_enum(key: str, value: str) -> dict[str, str]:
    """pratique_interdite / exclusion → the booleans they stand for."""
    kinds = PROHIBITED_KINDS if key == "pratique_interdite" else EXCLUSION_KINDS
    if value == UNKNOWN:
        return {}
    return {k: (YES if k == value else NO) for k in kinds}


# ---------------------------------------------------------------------------- map

ENTRIES: tuple[Entry, ...] = _LAW.entries
BY_ID = {e.id: e for e in ENTRIES}
PROFILING_REF = _LAW.special["profiling"].ref
HIGH_RISK_RULE = _LAW.special["high_risk_rule"].ref
MINIMAL_RULE = _LAW.special["minimal_rule"].ref


# ---------------------------------------------------------------------------- matching

MATCH, POSSIBLE, EXCEPTED, NOMATCH = "match", "possible", "excepted", "no"


def _holds(facts: Mapping[str, object], name: str, allowed: tuple[str, ...]) -> bool | None:
    """True / False / None (unknown) for one requirement."""
    value = facts.get(name, [] if name == "domaine" else UNKNOWN)
    if name == "domaine":
        vals = list(value) if isinstance(value, (list, tuple)) else ([value] if value and value != UNKNOWN else [])
        if any(v in allowed for v in vals):
            return True
        return None if not vals or vals == ["autre"] else False
    if value == UNKNOWN:
        return None
    return value in allowed


def status(entry: Entry, facts: Mapping[str, object], text: str = "") -> tuple[str, list[str]]:
    """(match | possible | excepted | no, facts still unknown)."""
    unknown: list[str] = []
    for name, allowed in entry.requires.items():
        h = _holds(facts, name, allowed)
        if h is False:
            return NOMATCH, []
        if h is None:
            unknown.append(name)
    if entry.cue_required and entry.cue and not re.search(entry.cue, text):
        return NOMATCH, []
    if unknown:
        anchored = entry.anchors and all(_holds(facts, a, entry.requires[a]) for a in entry.anchors)
        return (POSSIBLE, unknown) if anchored else (NOMATCH, [])
    for name, values in entry.exceptions.items():
        if _holds(facts, name, values):
            return EXCEPTED, []
    return MATCH, []


@dataclass
class Ground:
    entry: Entry
    kind: str  # match | possible | excepted | derogation | profiling
    note: str = ""  # French, what changes the verdict (exception, derogation)


@dataclass
class Decision:
    level: str
    grounds: list[Ground]  # what establishes the level, most decisive first
    extra: list[Ground]  # other established cases (art. 50 beside a high-risk, grounds of a lower level)
    possible: list[Ground]  # cases that unknown facts could trigger
    questions: list[str]
    reason: str = ""  # French: why undetermined / out of scope
    arguable: dict[str, object] | None = None  # two levels open to argument: both, and the deciding question


ARGUABLE = "arguable"  # kind of the ground of the less strict of two arguable levels
PRACTICE_FACTS = tuple(dict.fromkeys(n for e in ENTRIES if e.level == "prohibited" for n in e.requires))


def _select_points(found: list[tuple[Entry, str]], text: str) -> list[tuple[Entry, str]]:
    """Within an Annex III area keep the points whose cue matches, else the area's default point."""
    out: list[tuple[Entry, str]] = []
    groups: dict[str, list[tuple[Entry, str]]] = {}
    for e, st in found:
        if e.group:
            groups.setdefault(e.group, []).append((e, st))
        else:
            out.append((e, st))
    for members in groups.values():
        cued = [(e, st) for e, st in members if e.cue and re.search(e.cue, text)]
        chosen = cued or [(e, st) for e, st in members if e.default] or members[:1]
        out.extend(chosen)
    order = {e.id: i for i, e in enumerate(ENTRIES)}
    return sorted(out, key=lambda x: order[x[0].id])


def _question(entry: Entry, name: str) -> str:
    return entry.questions.get(name) or FACTS[name].question


def decide(
    facts: Mapping[str, object],
    text: str = "",
    contradictions: list[str] | None = None,
    cued: Mapping[str, str] | None = None,
) -> Decision:
    """The risk level of a planned use from its facts (and its folded text for the point cues).

    `cued`: the facts of prohibited practices whose cue fired in the description (fact → the words
    found) and that no evidence answers « non » (`open_practices`). « Inconnu » is not « non »: while
    such a practice cannot be excluded, neither « minimal » nor « limité » is given (issue 14)."""
    t = fold(text)
    decision = _decide(facts, t, contradictions)
    _arguable(decision, facts, t)
    return _unknown_blocks_low(decision, facts, cued or {})


def _cued_entries(facts: Mapping[str, object], cued: Mapping[str, str]) -> list[tuple[Entry, list[str]]]:
    """Prohibited entries that a cued practice could trigger: each required fact holds or is open
    (a cued fact counts as open unless it is « oui »), one of them cued; with the open facts."""
    view = dict(facts)
    for name in cued:
        if view.get(name) != YES:
            view[name] = UNKNOWN
    out = []
    for e in ENTRIES:
        if e.level != "prohibited" or not set(cued) & set(e.requires):
            continue
        held = [_holds(view, n, v) for n, v in e.requires.items()]
        if any(h is False for h in held) or all(held):
            continue
        out.append((e, [n for (n, v), h in zip(e.requires.items(), held, strict=True) if h is None]))
    return out


def _unknown_blocks_low(decision: Decision, facts: Mapping[str, object], cued: Mapping[str, str]) -> Decision:
    """A low level (minimal, limited, or the free-licence exclusion that does not cover art. 5) with
    a cued practice still open becomes « à préciser », with the practice's question; a high level
    keeps its level and gets the question and the possible prohibition."""
    candidates = _cued_entries(facts, cued)
    if not candidates or decision.level == "prohibited":
        return decision
    seen = {g.entry.id for g in decision.possible}
    new = [Ground(e, POSSIBLE) for e, _ in candidates if e.id not in seen]
    questions: list[str] = []
    for e, open_facts in candidates:
        for name in sorted(open_facts, key=lambda n: n not in cued):  # the cued practice first
            q = _question(e, name)
            if q not in questions:
                questions.append(q)
    questions += [q for q in decision.questions if q not in questions]
    low = decision.level in ("minimal", "limited") or (
        decision.level == "out-of-scope" and all(g.entry.id == "art-2-12" for g in decision.grounds)
    )
    if not low:
        return Decision(
            decision.level,
            decision.grounds,
            decision.extra,
            decision.possible + new,
            questions,
            decision.reason,
            decision.arguable,
        )
    words = " […] ".join(dict.fromkeys(cued[n] for e, _ in candidates for n in e.requires if n in cued))
    return Decision(
        "undetermined",
        [],
        decision.extra + [g for g in decision.grounds if g.kind == MATCH],
        decision.possible + new,
        questions,
        f"une pratique interdite ne peut pas être exclue : la description évoque « {words} »",
    )


def _arguable(decision: Decision, facts: Mapping[str, object], t: str) -> None:
    """A prohibition established while a high-risk case it competes with (law data: `arguable_with`)
    also fits: the level stays the stricter, the grounds name both, the deciding question comes first."""
    if decision.level != "prohibited":
        return
    for g in decision.grounds:
        e = g.entry
        if not e.arguable_with:
            continue
        fits = []
        for other_id in e.arguable_with:
            st, _ = status(BY_ID[other_id], facts, t)
            if st in (MATCH, POSSIBLE):
                fits.append((BY_ID[other_id], st))
            elif (
                BY_ID[other_id].cue_required
                and re.search(BY_ID[other_id].cue, t)
                and all(
                    _holds(facts, n, v) is not False
                    for n, v in BY_ID[other_id].requires.items()
                    if n != "decision_sur_personnes"  # a practice of art. 5 always acts on persons
                )
            ):
                fits.append((BY_ID[other_id], POSSIBLE))  # « crédit » named, its domain not established
        rivals = [r for r, _ in _select_points(fits, t)]  # one point per Annex III area
        if not rivals:
            continue
        note = f"Niveau discutable : {e.label}"
        ids = {r.id for r in rivals}
        decision.extra = [Ground(x.entry, ARGUABLE, note) if x.entry.id in ids else x for x in decision.extra]
        shown = {x.entry.id for x in decision.extra}
        decision.extra.extend(Ground(r, ARGUABLE, note) for r in rivals if r.id not in shown)
        if e.arguable_question not in decision.questions:
            decision.questions.insert(0, e.arguable_question)
        decision.arguable = {
            "levels": ["prohibited", rivals[0].level],
            "level": "prohibited",
            "provisions": [e.label] + [r.label for r in rivals],
            "entries": [e.id] + [r.id for r in rivals],
            "question": e.arguable_question,
        }
        return


def open_practices(kw: KeywordFacts, facts: Mapping[str, object], sources: Mapping[str, str]) -> dict[str, str]:
    """The cued practices that no evidence answers « non »: neither the description's words
    (keywords, strong) nor the caller. A model's « non » is not evidence: it stays open."""
    out = {}
    for name, words in kw.cued.items():
        value = facts.get(name, UNKNOWN)
        if value == YES:
            continue
        if value == NO and str(sources.get(name, "")).startswith(("mots-clés", "fourni")):
            continue
        out[name] = words
    return out


def _decide(facts: Mapping[str, object], t: str, contradictions: list[str] | None = None) -> Decision:
    statuses = {e.id: status(e, facts, t) for e in ENTRIES}
    disputed = set(contradictions or [])
    for e in ENTRIES:  # a prohibition whose fact is disputed cannot be excluded: it stays possible
        if (
            e.level == "prohibited"
            and statuses[e.id][0] == NOMATCH
            and disputed & set(e.requires)
            and all(_holds(facts, n, v) is not False for n, v in e.requires.items())
        ):
            statuses[e.id] = (POSSIBLE, sorted(disputed & set(e.requires)))
    found = _select_points([(e, statuses[e.id][0]) for e in ENTRIES if statuses[e.id][0] != NOMATCH], t)
    matched = [e for e, st in found if st == MATCH]
    possible = [e for e, st in found if st == POSSIBLE]
    excepted = [e for e, st in found if st == EXCEPTED]
    questions: list[str] = []

    def ask(q: str) -> None:
        if q not in questions:
            questions.append(q)

    for name in contradictions or []:
        ask(FACTS[name].question)

    def by(level: str, pool: list[Entry]) -> list[Entry]:
        return [e for e in pool if e.level == level]

    # Exceptions that lift a prohibition send the case to the matching Annex III point.
    notes = {e.id: f"Exception : {e.exception_label}." for e in excepted}
    extra: list[Ground] = [Ground(e, EXCEPTED, notes[e.id]) for e in excepted]

    # 1. Exclusions that take the use out of the regulation whatever it does.
    absolute = [e for e in by("out-of-scope", matched) if e.id != "art-2-12"]
    if absolute:
        return Decision("out-of-scope", [Ground(e, MATCH) for e in absolute], extra, [], questions)

    prohibited, high, limited = by("prohibited", matched), by("high-risk", matched), by("limited", matched)
    lower = [Ground(e, MATCH) for e in by("minimal", matched)]

    # 2. Art. 6(3): an Annex III use is not high-risk when it only performs a narrow procedural or
    # preparatory task, unless it profiles natural persons (last subparagraph).
    profiling = facts.get("profilage") == YES
    derogated: list[Entry] = []
    if high and "art-6-3" in {g.entry.id for g in lower} and not profiling:
        derogated = [e for e in high if e.id.startswith("annex-iii") and not e.id.startswith("annex-iii-1")]
        high = [e for e in high if e not in derogated]

    for e in matched:  # exceptions not established: the verdict holds, but say what would change it
        for name in e.exceptions:
            if facts.get(name, UNKNOWN) == UNKNOWN and e.level in ("prohibited",):
                ask(FACTS[name].question)

    possible_grounds = [Ground(e, POSSIBLE) for e in possible]
    for e in possible:
        for name in statuses[e.id][1]:
            ask(_question(e, name))

    def result(level: str, grounds: list[Ground], others: list[Ground], reason: str = "") -> Decision:
        derogable = [
            g for g in grounds if g.entry.id.startswith("annex-iii") and not g.entry.id.startswith("annex-iii-1")
        ]
        if level == "high-risk" and derogable and not profiling and facts.get("tache_procedurale_etroite") == UNKNOWN:
            ask(FACTS["tache_procedurale_etroite"].question)  # art. 6(3) could take it out of high-risk
        return Decision(level, grounds, others, possible_grounds, questions, reason)

    top_possible = max((RANK.get(e.level, 0) for e in possible), default=0)
    if prohibited:
        return result(
            "prohibited", [Ground(e, MATCH) for e in prohibited], extra + [Ground(e, MATCH) for e in high + limited]
        )
    if top_possible >= RANK["prohibited"]:
        return result(
            "undetermined",
            [],
            extra + [Ground(e, MATCH) for e in high + limited],
            "une pratique interdite ne peut pas être exclue avec les faits décrits",
        )
    if high:
        grounds = [Ground(e, MATCH) for e in high]
        if profiling and any(e.id.startswith("annex-iii") for e in high):
            grounds.append(
                Ground(BY_ID["art-6-3"], "profiling", "Profilage de personnes physiques : toujours à haut risque.")
            )
        return result("high-risk", grounds, extra + [Ground(e, MATCH) for e in limited])
    if top_possible >= RANK["high-risk"] and not derogated:
        return result(
            "undetermined",
            [],
            extra + [Ground(e, MATCH) for e in limited] + lower,
            "le classement à haut risque dépend de faits que la description ne précise pas",
        )
    if facts.get("finalite_definie") == NO:
        ask(FACTS["finalite_definie"].question)
        if not facts.get("domaine"):
            ask(FACTS["domaine"].question)
        return result(
            "undetermined",
            [],
            extra + [Ground(e, MATCH) for e in limited] + lower,
            "la description ne dit pas ce que fera concrètement l'outil",
        )
    derogation = [
        Ground(e, "derogation", "Dérogation de l'article 6, paragraphe 3 : pas à haut risque.") for e in derogated
    ]
    oss = [e for e in matched if e.id == "art-2-12"]
    if oss and not limited:
        return result("out-of-scope", [Ground(e, MATCH) for e in oss], extra + derogation + lower)
    if limited:
        return result("limited", [Ground(e, MATCH) for e in limited], extra + derogation + lower)
    if facts.get("decision_sur_personnes") == YES and not facts.get("domaine"):
        ask(FACTS["domaine"].question)
        return result(
            "undetermined",
            [],
            extra + lower,
            "l'outil prend ou prépare des décisions sur des personnes dans un domaine que la description ne précise pas",
        )
    if facts.get("finalite_definie") == UNKNOWN and not any(
        facts.get(n) == YES for n in ("decision_sur_personnes", "genere_contenu", "interagit_avec_personnes")
    ):
        # What the tool will do is not established (a service named is not a task: « l'IA dans
        # l'action sociale pour gagner du temps »): no level can be given, minimal included.
        ask(FACTS["finalite_definie"].question)
        if not facts.get("domaine"):
            ask(FACTS["domaine"].question)
        return result(
            "undetermined",
            [],
            extra + lower,
            "la description ne dit pas ce que fera l'outil" + ("" if facts.get("domaine") else " ni où"),
        )
    return result("minimal", derogation + lower, extra)


# ---------------------------------------------------------------------------- keywords

DEFAULT = 0  # strength of a finding presumed by `_defaults` (HIGH, LOW: see assistant.law)
RULES: tuple[Rule, ...] = _LAW.cues_fr.rules
RULES_EN: tuple[Rule, ...] = _LAW.cues_en.rules
_FR, _EN = _LAW.cues_fr.fragments, _LAW.cues_en.fragments

_EN_WORDS = re.compile(r"\b(the|and|of|to|with|for|is|are|our|this|that|which|by|from|their)\b")
_FR_WORDS = re.compile(r"\b(le|la|les|des|du|et|pour|avec|une|un|nous|qui|dans|sur|aux|au)\b")


def is_english(t: str) -> bool:
    """English description (folded text): the English rules apply only then."""
    return len(_EN_WORDS.findall(t)) > len(_FR_WORDS.findall(t))


_HYPHENS = re.compile("[\u2010-\u2015\u2212]")
_NEGATION = re.compile(r"\b(sans|pas|aucune?|ni|jamais|non|without|not|no|never)\b(\s+[^\s]+){0,2}\s*$")


@dataclass
class Finding:
    value: object
    strength: int
    evidence: str = ""


@dataclass
class KeywordFacts:
    values: dict[str, Finding]
    conflicts: list[str]  # facts the description states both ways
    cued: dict[str, str] = field(default_factory=dict)  # prohibited practice evoked → the words found

    def plain(self) -> dict[str, object]:
        return {k: f.value for k, f in self.values.items()}


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text[max(0, start - 24) : start]))


def about_ai_use(text: str) -> bool:
    """The description speaks of a tool, a system or an automated use (else nothing to assess)."""
    return bool(re.search(_FR["tech"], fold(text)))


SENSED = "sens : "  # evidence of a fact stated by the meaning of a sentence (assess/senses.py)


def keyword_facts(
    text: str,
    senses: Mapping[str, str] | None = None,
    sensed_facts: Mapping[str, tuple[str, str]] | None = None,
) -> KeywordFacts:
    """Facts stated by the description, found by French patterns on the folded text.

    `senses`: the practices the description evokes by meaning (assess/senses.py: fact → its
    sentence), cued like the keyword cues unless the description's words already answer them.
    `sensed_facts`: the facts of art. 50 its sentences state by meaning (fact → (value, sentence)),
    stated like the words would unless the words already say something of that fact."""
    t = _HYPHENS.sub("-", fold(text))
    hits: dict[str, list[Finding]] = {}
    domains: dict[str, Finding] = {}
    english = is_english(t)
    for rule in RULES_EN if english else RULES:
        for m in rule.pattern.finditer(t):
            value = rule.value
            if rule.negatable and _negated(t, m.start()):
                if FACTS[rule.fact].values != TRI or value != YES:
                    continue
                value = NO
            finding = Finding(value, rule.strength, m.group(0)[:80])
            if rule.fact == "domaine":
                if value not in domains or domains[value].strength < rule.strength:
                    domains[value] = finding
            else:
                hits.setdefault(rule.fact, []).append(finding)
            break  # one finding per rule is enough
    (_composite_en if english else _composite)(t, hits)
    values: dict[str, Finding] = {}
    conflicts: list[str] = []
    for fact, found in hits.items():
        best = max(f.strength for f in found)
        top = {str(f.value): f for f in found if f.strength == best}
        if len(top) > 1:
            conflicts.append(fact)
            values[fact] = Finding(UNKNOWN, best, " / ".join(f.evidence for f in top.values()))
        else:
            values[fact] = next(iter(top.values()))
    if domains:
        best = max(f.strength for f in domains.values())
        values["domaine"] = Finding(
            sorted(domains, key=DOMAINS.index), best, " / ".join(f.evidence for f in domains.values())
        )
    for fact, (value, sentence) in (sensed_facts or {}).items():
        if fact not in values:  # the words (or their conflict) say something of it: they win
            values[fact] = Finding(value, HIGH, SENSED + sentence[:80])
    cued = _practice_cues(t, english, values)
    for fact, sentence in (senses or {}).items():
        stated = values.get(fact)
        if fact not in cued and not (stated is not None and stated.strength == HIGH):
            cued[fact] = sentence
    _defaults(values, set(cued))
    return KeywordFacts(values, conflicts, cued)


def _practice_cues(t: str, english: bool, values: Mapping[str, Finding]) -> dict[str, str]:
    """The prohibited practices the description evokes (law data `[[practice_cue]]`), not negated
    (« sans … ») and not already stated « oui »: fact → the words found."""
    out: dict[str, str] = {}
    for cue in (_LAW.cues_en if english else _LAW.cues_fr).practice_cues:
        if cue.fact in out:
            continue
        found = values.get(cue.fact)
        if found is not None and found.value == YES and found.strength == HIGH:
            continue
        for m in cue.pattern.finditer(t):
            if not _negated(t, m.start()):
                out[cue.fact] = m.group(0)[:80]
                break
    return out


def _composite(t: str, hits: dict[str, list[Finding]]) -> None:
    """Rules that need two cues at once (emotion words with a biometric source, sensitive attributes
    inferred from biometric data, who is analysed)."""
    emo = re.search(_FR["emotion"], t)
    if emo and re.search(_FR["emotion_source"], t):
        neg = _negated(t, emo.start())
        hits.setdefault("reconnaissance_emotions", []).append(Finding(NO if neg else YES, HIGH, emo.group(0)))
        if not neg:
            _who_is_analysed(t, hits, emo)
    sens = re.search(_FR["sensitive_inference"], t)
    if sens and re.search(_FR["biometric_source"], t):
        hits.setdefault("categorisation_sensible", []).append(Finding(YES, HIGH, sens.group(0)[:80]))
        hits.setdefault("biometrie", []).append(Finding("categorisation", HIGH, sens.group(0)[:80]))
        hits.setdefault("donnees_biometriques", []).append(Finding(YES, HIGH, sens.group(0)[:80]))


def _composite_en(t: str, hits: dict[str, list[Finding]]) -> None:
    """English twin of `_composite`."""
    emo = re.search(_EN["emotion"], t)
    if emo and re.search(_EN["emotion_source"], t) and "text" not in t[max(0, emo.start() - 30) : emo.end() + 30]:
        hits.setdefault("reconnaissance_emotions", []).append(Finding(YES, HIGH, emo.group(0)))
        lo, hi = max(0, emo.start() - 120), emo.end() + 120
        found = [
            (min(abs(m.start() - emo.start()), abs(m.end() - emo.end())), m.group(0))
            for m in re.finditer(rf"\b({_EN['work']}|{_EN['public']})\b", t[lo:hi])
        ]
        if found:
            who = min(found)[1]
            work = re.fullmatch(_EN["work"], who)
            hits.setdefault("contexte_travail_ou_ecole", []).append(Finding(YES if work else NO, HIGH, who))
    sens = re.search(_EN["sensitive_inference"], t)
    if sens and re.search(_EN["biometric_source"], t):
        for fact, value in (
            ("categorisation_sensible", YES),
            ("biometrie", "categorisation"),
            ("donnees_biometriques", YES),
        ):
            hits.setdefault(fact, []).append(Finding(value, HIGH, sens.group(0)[:80]))


def _who_is_analysed(t: str, hits: dict[str, list[Finding]], emo: re.Match[str]) -> None:
    """Workers or pupils (art. 5(1)(f)) or members of the public: the person noun nearest to the
    emotion cue ("le visage des agents pour détecter leur stress", "les expressions des usagers")."""
    lo, hi = max(0, emo.start() - 100), emo.end() + 100
    people = re.compile(rf"\b({_FR['persons_work']}|{_FR['persons_school']}|{_FR['persons_public']})\b")
    found = [
        (min(abs(m.start() - emo.start()), abs(m.end() - emo.end())), m.group(1)) for m in people.finditer(t, lo, hi)
    ]
    if found:
        who = min(found)[1]
        work = re.fullmatch(rf"{_FR['persons_work']}|{_FR['persons_school']}", who)
        hits.setdefault("contexte_travail_ou_ecole", []).append(Finding(YES if work else NO, HIGH, who))
    elif re.search(_FR["work_or_school_setting"], t):
        hits.setdefault("contexte_travail_ou_ecole", []).append(Finding(YES, HIGH, "lieu de travail ou classe"))


def _defaults(values: dict[str, Finding], cued: set[str] | frozenset[str] = frozenset()) -> None:
    """What a description that says what the tool does implies about what it does not do.

    When a concrete task is described, functions it does not mention are presumed absent
    (weakest strength: the model or the caller override them without contradiction)."""
    functions = (
        "interagit_avec_personnes",
        "genere_contenu",
        "reconnaissance_emotions",
        "decision_sur_personnes",
        "biometrie",
    )
    if any(
        values[n].strength == HIGH and values[n].value not in (NO, UNKNOWN, "aucune") for n in functions if n in values
    ):
        values["finalite_definie"] = Finding(YES, HIGH, "fonction décrite")  # a described function is a defined purpose
    task = values.get("finalite_definie")
    if not task or task.value != YES:
        return
    for name in _PRESUMED_ABSENT:
        if name not in cued:  # evoked by the description: not presumed absent (« inconnu » is not « non »)
            values.setdefault(name, Finding(NO, DEFAULT, "non mentionné"))
    bio = values.get("donnees_biometriques")
    emotions = values.get("reconnaissance_emotions")
    explained = emotions is not None and emotions.value == YES  # the face is analysed for emotions, not identity
    if "biometrie" not in values and (bio is None or bio.strength < HIGH or bio.value == NO or explained):
        values["biometrie"] = Finding("aucune", DEFAULT, "non mentionné")
    doms = values.get("domaine")
    domains = doms.value if doms and isinstance(doms.value, (list, tuple, set, frozenset)) else [doms and doms.value]
    if "infrastructures_critiques" in domains:
        values.setdefault("composant_securite", Finding(NO, DEFAULT, "non mentionné"))
    values.setdefault("systeme_ia", Finding(YES, DEFAULT, "présumé"))
