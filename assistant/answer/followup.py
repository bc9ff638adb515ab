"""Follow-up questions: recognised by their words, made standalone by code from the previous turn.

    « Un outil qui trie les demandes d'aide sociale est-il à haut risque ? »
    « Depuis quand ? »  →  « Depuis quand ? (à propos de : Un outil qui trie les demandes d'aide
                            sociale est-il à haut risque ; dispositions citées : annexe III, point 5 a)) »

A follow-up is recognised by its opening (« et », « alors », « dans ce cas », « et si »),
a reference back (« cet article », « cela », « qu'en dit-elle »), a question of time alone
(« depuis quand ? ») or an ellipsis (a question of a few words naming nothing). The standalone
question is built by code, never by the model, and shown to the agent (« Question comprise : … »)
so that it can be corrected; retrieval and every check of a first question (abstention, scope,
injection) run on it.

What is carried from the previous turn, and what is not:
- its topic: the question as the agent typed it, without any sentence that addresses the model
  (an order planted in a turn never reaches the next one) and bounded in length;
- the labels of the provisions it cited, only when the follow-up is about them (a reference back
  or a question of time); a follow-up naming another provision (« et l'article 50 ? ») replaces
  the previous one in the topic and carries none of the earlier citations;
- « nous », « pour nous » become the Département as deployer (the actor of every question here).

An abstained turn cited nothing, so nothing is carried from it but its topic: the scope checks
that made it abstain see the same words again (« et les sanctions ? » after a question on the
RGPD is still a question on the RGPD).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answer.cite import sentence_spans
from assistant.answer.injection import addresses_model
from assistant.base.tuning import TOPIC_CHARS
from assistant.search.retrieve import NamedRef, named_refs
from assistant.text.norm import clean_ws, fold

_OPENER = re.compile(
    r"^(?:et|alors|donc|mais|ensuite|du coup|dans ce cas|dans ce cas-la|a ce moment-la|meme question|pareil|idem)\b[\s,:-]*"
)
_WHAT_IF = re.compile(r"^(?:et|mais|alors)?\s*(?:si|imaginons que|supposons que|admettons que|en cas ou)\b")
_TIME_ALONE = re.compile(
    r"^(?:et |alors |mais )?(?:depuis quand|a partir de quand|jusqu'a quand|quand|a quelle date|pour quand"
    r"|c'est pour quand|quelle date|quelle echeance|quel delai)\b"
)
_BACK = re.compile(
    r"\b(?:cet article|cette disposition|ces dispositions|ce paragraphe|ce point|cette annexe|ce texte|ce systeme"
    r"|cet outil|ce projet|ce cas|ces cas|cette obligation|ces obligations|cette regle|ces regles|cette interdiction"
    r"|cette pratique|ces pratiques|celui-ci|celle-ci|ceux-ci|celles-ci|celui-la|celle-la|cela|ca|en dit|qu'en"
    r"|y compris|dans ce cadre|la meme chose|aussi|egalement|le cas echeant|precedente?)\b"
)
_ENDS_WITH_PRONOUN = re.compile(r"-(?:il|elle|ils|elles)\s*\??\s*$")
# « vise-t-il », « sont-elles »: a subject pronoun that points back (not the impersonal « faut-il »)
_PRONOUN = re.compile(r"(?<!faut)(?<!agit)(?<!y a)-(?:t-)?(?:il|elle|ils|elles)\b")
_DOCS = {
    "charte": re.compile(r"\bcharte\b"),
    "amendement": re.compile(r"\b2026\s*/\s*1744\b|\b(?:reglement )?modificati(?:f|on)\b|\bomnibus\b"),
    "cnil": re.compile(r"\bcnil\b"),
}
_DOC_NAMES = {
    "charte": "la charte IA du Département",
    "amendement": "le règlement (UE) 2026/1744 qui modifie le règlement sur l'IA",
    "cnil": "la CNIL",
}
_WE = re.compile(r"\b(?:pour nous|nous|notre collectivite|notre departement|chez nous)\b")
# Designations of provisions as typed (accents kept), to take the previous ones out of a topic.
DESIGNATION = re.compile(
    r"\b(?:(?:l['’]\s*|les?\s+|la\s+|à\s+l['’]\s*|de\s+l['’]\s*|aux\s+|du\s+|au\s+)?"
    r"(?:articles?|art\.|annexes?|considérants?|considerants?|défis?|defis?)\s+"
    r"(?:premier|1er|\d{1,3}\s?[a-z]?|[IVX]{1,5})\b"
    r"(?:\s*\(\d{1,2}\))?(?:\s*\([a-z]{1,2}\))?"
    r"(?:\s*,?\s*(?:paragraphe|§|point|section)s?\s*(?:\d{1,2}|[a-d])?\s*(?:[a-z]\))?)*)",
    re.IGNORECASE,
)
_CONTENT = re.compile(r"[a-z]{4,}")
_STATED_SUBJECT = re.compile(
    r"\b(?:le|la|les|l'|un|une|ce|cet|cette|ces|son|sa|ses|notre|nos|votre|vos)\s*[\w'-]+\s+[\w]+-(?:t-)?(?:il|elle|ils|elles)$"
)
_ASKS_OBJECT = re.compile(r"^(?:et |alors |mais )?(?:quel(?:le)?s?|que|qu')\b")
_ELLIPSIS = re.compile(
    r"^(?:et|mais) (?:pour|en cas d[e']|dans le cas d[eu']|concernant|quant a|cote|au sujet d[eu']"
    r"|(?:le|la|les|l'|un|une|des|du)\b(?!.*-(?:t-)?(?:il|elle|ils|elles)\b)(?!.* (?:est|sont|doit|doivent|peut|peuvent|ont) ))"
)
# The question words of a topic, left out when it becomes the context of a follow-up (« quand »,
# « combien » would make the follow-up a question of date or of number).
_FRAME = re.compile(
    r"^(?:depuis quand|a partir de quand|jusqu'a quand|quand|combien|quel(?:le)?s? (?:est|sont)|qu'est-ce qu(?:e|')"
    r"|que (?:prevoit|dit|designe))\b\s*",
)
_CLITIC = re.compile(r"\b(?:la|les|le|l')\s?[a-z]{3,}(?:er|ir)\b")  # « la remplir », « le notifier »
_STOP = frozenset(
    [
        "alors",
        "aussi",
        "dans",
        "cela",
        "cette",
        "celle",
        "celui",
        "donc",
        "elle",
        "elles",
        "entre",
        "leur",
        "leurs",
        "mais",
        "meme",
        "pour",
        "quand",
        "quel",
        "quelle",
        "quelles",
        "quels",
        "sont",
        "sur",
        "tout",
        "tous",
        "toutes",
        "vous",
        "nous",
        "avec",
        "sans",
        "chez",
        "depuis",
        "partir",
        "faut",
        "doit",
        "doivent",
        "peut",
        "peuvent",
        "etre",
        "cas",
        "dit",
        "dire",
        "quoi",
        "comment",
        "pourquoi",
    ]
)


@dataclass(frozen=True)
class Turn:
    """What a conversation keeps of one answered turn (nothing else: no passage, no answer text)."""

    question: str  # as typed
    understood: str  # the standalone question the turn answered
    topic: str  # what a follow-up of this turn is about (sanitised, bounded)
    answer_id: str | None = None
    refs: tuple[str, ...] = ()  # « doc_id:ref » of the cited provisions
    labels: tuple[str, ...] = ()  # their labels, in the same order
    verdict: str | None = None  # the answer's verdict (interdit, haut-risque, transparence)
    abstained: bool = False
    kind: str = "ask"  # ask | assess
    description: str = ""  # assess: the description assessed (with the changes folded in)
    facts: dict = field(default_factory=dict)  # assess: the facts given on top of the description
    level: str | None = None  # assess: the level decided
    grounds: tuple[str, ...] = ()  # assess: ids of the grounds of the level


@dataclass(frozen=True)
class Resolution:
    """How a question of a conversation is understood."""

    question: str  # as typed
    understood: str  # the standalone question retrieval and the checks run on
    topic: str  # what the next follow-up will be about
    followup: bool = False
    carried: tuple[str, ...] = ()  # refs of the previous turn this question is about
    what_if: bool = False  # « et si … » : a changed fact (an assessment is re-run when there is one)
    change: str = ""  # the words of the change (« un agent valide chaque décision »)


def sanitised(text: str) -> str:
    """The question without the sentences that address the model, bounded, without its final « ? »."""
    spans = sentence_spans(text) or [(0, len(text))]
    out, last = [], 0
    for s, e in spans:
        if addresses_model(text[s:e]):
            out.append(text[last:s])
            last = e
    kept = clean_ws("".join(out) + text[last:]).rstrip(" ?.!;:")
    if len(kept) > TOPIC_CHARS:
        kept = kept[:TOPIC_CHARS].rsplit(" ", 1)[0] + " …"
    return kept


def names_document(question: str) -> list[str]:
    q = fold(question)
    return [name for name, rx in _DOCS.items() if rx.search(q)]


def names_provision(question: str) -> bool:
    return bool(named_refs(question))


def _content_words(folded: str) -> list[str]:
    return [w for w in _CONTENT.findall(folded) if w not in _STOP]


def is_followup(question: str, previous: Turn | None) -> bool:
    """Whether `question` leans on the previous turn (never without one)."""
    if previous is None:
        return False
    q = fold(question).replace("’", "'")
    if _WHAT_IF.match(q) or _TIME_ALONE.match(q) or _BACK.search(q):
        return True
    pronoun = _PRONOUN.search(q)
    inverted = pronoun is not None and bool(_STATED_SUBJECT.search(q[: pronoun.end()]))  # « le Département a-t-il »
    if pronoun and not inverted and (len(_content_words(q[: pronoun.start()])) < 3 or _ASKS_OBJECT.match(q)):
        # « vise-t-il … ? », « quelle méthode privilégie-t-elle ? » (not « les personnes qui … sont-elles
        # … ? », whose subject is stated)
        return True
    if _ELLIPSIS.match(q):
        return True  # « et pour la transparence ? », « et les obligations des … ? »: the previous question, for these
    if _OPENER.match(q):
        # « Et … » before a question that states its own subject (four words of content or more,
        # nothing pointing back, no « la remplir ») is a new question, asked as typed.
        return len(_content_words(q)) < 4 or bool(_CLITIC.search(q))
    if _ENDS_WITH_PRONOUN.search(q) and len(_content_words(q)) <= 4:
        return True  # « Est-elle obligatoire ? »
    # An ellipsis: one word of content, naming no provision and no text (« Quelles sanctions ? »).
    return len(_content_words(q)) <= 1 and not names_provision(question) and not names_document(question)


def related(key: str, named: NamedRef) -> bool:
    """« doc:ref » is the named provision, a part of it, or the provision it is a part of (its lead-in)."""
    doc_id, _, ref = key.partition(":")
    return doc_id == named.doc_id and (
        ref == named.ref or ref.startswith(named.ref + "-") or named.ref.startswith(ref + "-")
    )


def _core(question: str) -> str:
    """The follow-up without its opening word and final punctuation, sanitised."""
    text = sanitised(question)
    m = _OPENER.match(fold(text).replace("’", "'"))
    if m and not _WHAT_IF.match(fold(text)):
        text = text[len(m.group(0)) :] if len(m.group(0)) <= len(text) else text
    text = text.strip(" ,;:-")
    return text[:1].upper() + text[1:] if text else text


def _actor(text: str) -> str:
    """« pour nous » → « pour le Département (déployeur) »."""
    folded = fold(text)
    if not _WE.search(folded):
        return text
    return re.sub(
        r"\b(?:pour nous|chez nous|notre collectivité|notre département|nous)\b",
        lambda m: "pour le Département (déployeur)" if m.group(0).lower() != "nous" else "le Département (déployeur)",
        text,
        flags=re.IGNORECASE,
    )


def _without_designations(topic: str) -> str:
    out = clean_ws(DESIGNATION.sub(" ", topic)).strip(" ,;:-")
    return re.sub(r"\s+([,;:?])", r"\1", out)


_ROMAN_UP = re.compile(r"^[ivx]+$")


def designation(key: str) -> str:
    """The provision a « doc:ref » belongs to, named as agents do and as retrieval recognises it
    (article, annex point, recital, charter challenge): the article rather than its paragraph, so
    that a follow-up on the same article reaches its other paragraphs."""
    doc_id, _, ref = key.partition(":")
    parts = ref.split("-")
    if parts[0] == "art" and len(parts) > 1:
        own = " du règlement (UE) 2026/1744" if doc_id == "ai-act-2026-1744" else ""
        return f"article {parts[1]}{own}"
    if parts[0] == "annex" and len(parts) > 1 and _ROMAN_UP.match(parts[1]):
        point = f", point {parts[2]}" if len(parts) > 2 and parts[2].isdigit() else ""
        return f"annexe {parts[1].upper()}{point}"
    if parts[0] == "recital" and len(parts) > 1:
        return f"considérant {parts[1]}" + (" du règlement (UE) 2026/1744" if doc_id == "ai-act-2026-1744" else "")
    if parts[0] == "defi" and len(parts) > 1:
        return f"défi {parts[1]} de la charte"
    return ""


def _subject(topic: str) -> str:
    """The topic without its leading question words (« Quand le règlement … » → « le règlement … »)."""
    m = _FRAME.match(fold(topic).replace("’", "'"))
    rest = topic[m.end() :] if m and m.end() < len(topic) else topic
    return rest.strip(" ,;:-") or topic


def _labels(previous: Turn, limit: int = 3) -> str:
    names = [d for d in (designation(r) for r in previous.refs) if d]
    return " ; ".join(list(dict.fromkeys(names))[:limit])


def resolve(question: str, turns: Sequence[Turn]) -> Resolution:
    """The standalone form of `question` given the earlier turns (by code: no model involved)."""
    previous = turns[-1] if turns else None
    text = clean_ws(question)
    if previous is None or not is_followup(text, previous):
        return Resolution(text, text, sanitised(text) or text)
    q = fold(text).replace("’", "'")
    core = _actor(_core(text)) or text
    topic = previous.topic
    what_if = bool(_WHAT_IF.match(q))
    if what_if:
        change = re.sub(r"^(?:et|mais|alors)?\s*(?:si|imaginons que|supposons que|admettons que|en cas où)\s+", "",
                        core, flags=re.IGNORECASE).rstrip(" ?")  # fmt: skip
        understood = f"{topic} ? Hypothèse : {change}."
        return Resolution(text, understood, topic, True, (), True, change)
    docs = names_document(text)
    if names_provision(text):
        # Another provision named: it replaces the previous ones; nothing earlier is carried.
        rest = _subject(_without_designations(topic))
        understood = f"{core.rstrip(' ?')} ? (à propos de : {rest})" if rest else f"{core.rstrip(' ?')} ?"
        return Resolution(text, understood, understood.rstrip(" ?"), True)
    if docs:
        # Another text named (« et la charte, qu'en dit-elle ? »): the topic, without the provisions of the other text.
        rest = _subject(_without_designations(topic))
        understood = f"Que dit {_DOC_NAMES[docs[0]]} à propos de : {rest} ?"
        return Resolution(text, understood, topic, True)
    about_them = bool(_TIME_ALONE.match(q) or _BACK.search(q) or _ENDS_WITH_PRONOUN.search(q))
    carried = previous.refs if about_them and not previous.abstained else ()
    labels = _labels(previous) if carried else ""
    context = f"à propos de : {_subject(topic)}" + (f" ; dispositions citées : {labels}" if labels else "")
    understood = f"{core.rstrip(' ?')} ? ({context})"
    return Resolution(text, understood, topic, True, tuple(carried))


__all__ = [
    "DESIGNATION",
    "Resolution",
    "Turn",
    "is_followup",
    "names_document",
    "names_provision",
    "resolve",
    "sanitised",
]
