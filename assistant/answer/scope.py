"""Questions the reference texts cannot answer, recognised from the question and the evidence.

Dense similarity alone cannot tell « quelle amende prévoit le règlement IA ? » from « quelle
amende prévoit le RGPD ? »: both land on article 99. Before any generation, three checks
look at what the question asks for, each with a reason shown to the agent:

1. another legal text is asked about (the RGPD, a code, a French law, the Data Act…) and the
   corpus does not hold it (a document may declare aliases in the manifest when it is added);
2. a value of a given type is asked (an amount, a rate, a number of something, a person's
   name) and none of the best passages holds a value of that type;
3. a value is asked about something the corpus never mentions (a noun or acronym absent from
   the whole corpus, e.g. « RSA », « TVA », « télétravail »).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from assistant.answer.cite import terms
from assistant.search.lexical import tokenize
from assistant.text.norm import fold

# Texts outside the corpus, as agents name them (folded), with the name shown in the message.
EXTERNAL_TEXTS: dict[str, str] = {
    r"rgpd|gdpr|reglement general sur la protection des donnees": "le RGPD",
    r"code penal": "le Code pénal",
    r"code du travail": "le Code du travail",
    r"code civil": "le Code civil",
    r"code general des collectivites territoriales|cgct": "le Code général des collectivités territoriales",
    r"code de l'action sociale et des familles|casf": "le Code de l'action sociale et des familles",
    r"code des relations entre le public et l'administration|crpa": (
        "le Code des relations entre le public et l'administration"
    ),
    r"code de la commande publique": "le Code de la commande publique",
    r"code general des impots": "le Code général des impôts",
    r"data act|reglement sur les donnees": "le règlement sur les données (Data Act)",
    r"digital services act|dsa|reglement sur les services numeriques": "le règlement sur les services numériques",
    r"digital markets act|dma": "le règlement sur les marchés numériques",
    r"directive nis ?2|nis ?2": "la directive NIS 2",
    r"cyber ?resilience act": "le règlement sur la cyberrésilience",
    r"loi informatique et libertes": "la loi Informatique et libertés",
}
_DET = r"(?:le |la |les |l'|du |de la |des |au |aux )?"
_SOURCE_VERBS = r"(?:prevoi[tr]|fixe|impose|dispose|defini[tr]|designe|sanctionne|puni[tr]|exige|oblige|encadre)"
_ATTRIBUTED = r"(?:prevu|fixe|defini|impose|sanctionne|puni|exige|encadre)(?:e|s|es)?"
_NATIONAL_TEXT = re.compile(
    r"\bquel(?:le)?s? (?:loi|decret|arrete|ordonnance|code|texte)s? (?:francais|francaise|national|nationale)s?\b"
)

_MONEY_Q = re.compile(r"\b(montant|prix|budget|tarif|remuneration|salaire)\b|\bcombien (coute|coutent|vaut)\b")
_MONEY_EV = re.compile(r"\d[\d\s\u00a0\u202f.,]*\s*(?:eur\b|euros?\b|€)|\bmillions? d'euros\b|€", re.I)
_VALUE_WORDS = [
    "montant",
    "prix",
    "budget",
    "tarif",
    "remuneration",
    "salaire",
    "taux",
    "pourcentage",
    "combien",
    "coute",
    "coutent",
    "vaut",
]
_RATE_Q = re.compile(r"\btaux\b|\bpourcentage\b")
_RATE_EV = re.compile(r"\d+(?:[.,]\d+)?\s*%|\bpour cent\b", re.I)
_COUNT_Q = re.compile(r"\bcombien d(?:e |')(?!temps\b)(\w+)")
_NUMBER_WORDS = [
    "un",
    "une",
    "deux",
    "trois",
    "quatre",
    "cinq",
    "six",
    "sept",
    "huit",
    "neuf",
    "dix",
    "onze",
    "douze",
    "quinze",
    "vingt",
    "trente",
    "quarante",
    "cinquante",
    "cent",
    "cents",
    "mille",
    "million",
    "millions",
    "plusieurs",
]
_IDENTITY_Q = re.compile(
    r"\bqui (?:est|sont) (?:actuellement )?(?:le|la|les) (?:referent|directeur|directrice|president|presidente|"
    r"responsable|delegue|chef|maire|prefet)|\bqui (?:preside|dirige)\b"
)
_PERSON_EV = re.compile(r"\b(?:M\.|Mme|Monsieur|Madame)\s+[A-Z]")
# A value question: what is asked is a figure, a name or a duration, not an explanation.
_VALUE_Q = re.compile(
    r"\b(montant|prix|budget|tarif|taux|pourcentage|combien|duree|delai|date|horaires?|nombre)\b|^qui\b"
)
_NOUN_CONTEXT = re.compile(r"\b(?:du|de la|des|de|d'|le|la|l'|les|un|une|au|aux)\s*$")
_ACRONYM = re.compile(r"^[A-ZÀ-Ý0-9]{2,}$")


def external_text(question: str, known: Iterable[str] = ()) -> str | None:
    """The name of the outside text the question asks about, or None."""
    q = fold(question).replace("’", "'")
    if _NATIONAL_TEXT.search(q):
        return "le droit national (lois, décrets, codes)"
    known_folded = {fold(k) for k in known}
    for pattern, name in EXTERNAL_TEXTS.items():
        x = rf"(?:{pattern})\b"
        attributed = (
            re.search(rf"\b{_ATTRIBUTED} (?:par|dans) {_DET}{x}", q)
            or re.search(rf"\b(?:selon|d'apres|en vertu d[eu]|en application d[eu]) {_DET}{x}", q)
            or re.search(rf"\b{x} {_SOURCE_VERBS}", q)
        )
        if attributed and not any(re.fullmatch(pattern, k) for k in known_folded):
            return name
    return None


def missing_value(question: str, passages: Sequence[str]) -> str | None:
    """What kind of value the question asks for that none of the passages holds, or None."""
    q = fold(question).replace("’", "'")
    joined = "\n".join(passages)
    # A value counts only in a passage about the question's subject (sharing one of its words).
    subject = set(terms(question)) - _value_stems()
    about = "\n".join(p for p in passages if subject & set(tokenize(p))) if subject else joined
    if _MONEY_Q.search(q) and not _MONEY_EV.search(about):
        return "aucun montant"
    if _RATE_Q.search(q) and not _RATE_EV.search(about):
        return "aucun taux ni pourcentage"
    m = _COUNT_Q.search(q)
    if m and m.group(1).endswith(("s", "x")):  # « combien d'agents » counts; « combien d'électricité » measures
        stems = tokenize(m.group(1))
        if stems and not _counted(stems[0], joined):
            return f"aucun nombre de « {m.group(1)} »"
    if _IDENTITY_Q.search(q) and not _PERSON_EV.search(joined):
        return "aucun nom de personne"
    return None


@lru_cache(maxsize=1)
def _value_stems() -> frozenset[str]:
    return frozenset(tokenize(" ".join(_VALUE_WORDS)))


def _counted(stem: str, text: str) -> bool:
    """Whether `text` puts a number (in figures or words) right before a word with this stem."""
    words = re.findall(r"\w+", fold(text))
    numbers = set(_NUMBER_WORDS)
    for i, w in enumerate(words):
        if tokenize(w)[:1] == [stem] and any(p.isdigit() or p in numbers for p in words[max(0, i - 3) : i]):
            return True
    return False


def unknown_term(question: str, vocabulary: set[str] | frozenset[str]) -> str | None:
    """For a value question, a noun or acronym of the question that the corpus never uses."""
    if not vocabulary or not _VALUE_Q.search(fold(question)):
        return None
    for m in re.finditer(r"[\wÀ-ÿ'-]+", question):
        word = m.group(0).split("'")[-1]
        stems = tokenize(word)
        if len(stems) != 1 or stems[0] in vocabulary or stems[0].isdigit():
            continue
        elided = m.group(0)[: len(m.group(0)) - len(word)]  # "d'", "l'" before the word
        before = fold(question[: m.start()] + elided).replace("’", "'")
        if _ACRONYM.match(word) or _NOUN_CONTEXT.search(before):
            return word
    return None


def unanswerable(
    question: str, passages: Sequence[str], vocabulary: set[str] | frozenset[str], known: Iterable[str] = ()
) -> str | None:
    """Why the texts cannot answer the question (a French clause), or None."""
    name = external_text(question, known)
    if name:
        return f"la question porte sur {name}, qui ne fait pas partie des textes de référence"
    term = unknown_term(question, vocabulary)
    if term:
        return f"les textes de référence ne mentionnent pas « {term} »"
    value = missing_value(question, passages)
    if value:
        return f"les passages les plus proches ne contiennent {value}"
    return None
