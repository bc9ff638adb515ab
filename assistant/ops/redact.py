"""Personal-data redaction of free text before it is stored (audit trail, feedback).

    redact(text) -> text with placeholders

Replaced, in this order (each placeholder holds no digit, so a later rule never
matches inside an earlier replacement and `redact` is idempotent):

    [EMAIL]      e-mail addresses
    [IBAN]       IBANs (countries of the ISO 13616 registry listed below, their exact
                 length), only when the mod-97 check holds
    [NIR]        French social security numbers (13 digits + 2-digit key, Corsica 2A/2B),
                 only when the key holds; after "NIR", "numéro de sécurité sociale"…,
                 any number of that shape (a mistyped key is still personal data)
    [CARTE]      payment card numbers (13–19 digits, Luhn check), except SIRET/SIREN
    [TÉLÉPHONE]  French phone numbers (0X, +33, 0033; spaces, dots or dashes)
    [NOM]        capitalised words after a civility ("M.", "Mme", "Monsieur"…),
                 "je m'appelle", "nommé", "signé" or "Cordialement,"; the civility is kept

Legal references ("article 5, paragraphe 1", "règlement (UE) 2024/1689", "annexe III
point 5", "article L. 2121-29"), dates and amounts never match: every number rule needs
a checksum or a strict French phone shape.
"""

from __future__ import annotations

import re

EMAIL = "[EMAIL]"
IBAN = "[IBAN]"
NIR = "[NIR]"
CARD = "[CARTE]"
PHONE = "[TÉLÉPHONE]"
NAME = "[NOM]"

_SEP = r"[ .\-\u00a0]"

_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}(?![\w-])")

# Two letters, two check digits, then 11 to 30 alphanumerics possibly grouped by spaces or dashes.
_IBAN_RE = re.compile(r"(?<![\w])([A-Za-z]{2}\d{2})((?:[ \-]?[A-Za-z0-9]){11,30})", re.ASCII)
# Lengths of the IBANs of the SEPA countries and a few others (ISO 13616 registry).
_IBAN_LENGTH = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "VA": 22, "MA": 28, "TN": 24, "DZ": 26, "SN": 28, "TR": 26, "AE": 23, "AL": 28, "AZ": 28,
    "BA": 20, "BH": 22, "BR": 29, "BY": 28, "CR": 22, "DO": 28, "EG": 29, "FO": 18, "GE": 22,
    "GL": 18, "GT": 28, "IL": 23, "IQ": 23, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MU": 30, "PK": 24, "PS": 29, "QA": 29, "RS": 22,
    "SA": 24, "SC": 31, "ST": 25, "SV": 28, "TL": 23, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip
# Only the countries above: with any two letters, one candidate length in ~97 passes mod 97,
# so hex identifiers (answer ids: "ab12…") were taken for IBANs of unknown countries.

# sex (1, 2; 3, 4, 7, 8 for provisional numbers), year, month, département (2A/2B for
# Corsica), commune, order, key; single separators allowed anywhere.
_NIR_RE = re.compile(
    rf"(?<![\w])[1-478](?:{_SEP}?\d){{4}}{_SEP}?(?:\d{_SEP}?\d|2{_SEP}?[AaBb])(?:{_SEP}?\d){{8}}(?![\w])"
)
_NIR_CONTEXT_RE = re.compile(
    r"(?i)(\b(?:nir|n°\s*(?:de\s+)?s[ée]cu(?:rit[ée]\s+sociale)?|num[ée]ro\s+(?:de\s+)?s[ée]cu(?:rit[ée]\s+sociale)?"
    r"|num[ée]ro\s+insee|s[ée]curit[ée]\s+sociale)\b\s*(?:n°\s*)?[:=]?\s*)"
    rf"([1-478](?:{_SEP}?[\dABab]){{12,14}})(?![\w])"
)

# Card numbers: contiguous digits, groups of four, or the 4-6-5 grouping of American Express.
_CARD_RE = re.compile(
    r"(?<![\w])(?:\d{13,19}|\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,3})?|\d{4}[ \-]\d{6}[ \-]\d{5})(?![\w])"
)
_SIRET_BEFORE = re.compile(r"(?i)\b(?:siret|siren|rna|tva)\b[\s:n°]*$")

_PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)33(?P<s1>[ .\-]?)(?:\(0\)[ .\-]?)?[1-9]|0[1-9])"
    r"(?P<s>[ .\-]?)\d{2}(?:(?P=s)\d{2}){3}(?![\w])"
)

_CIVILITY = r"(?:M\.|MM\.|Mme|Mmes|Mlle|Mlles|Monsieur|Madame|Mademoiselle|Maître|Me|Dr|Docteur|Pr|Professeur)"
_NAME_WORD = r"(?:(?:d[e']|du|des|van|von|le|la)\s*)?[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'’\-]*"
_NAME_RE = re.compile(
    rf"(?<![\w])((?:{_CIVILITY}|[Jj]e\s+m['’]appelle|[Nn]omm[ée]e?|[Ss]ign[ée]e?|[Cc]ordialement,?)\s+)"
    rf"({_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})"
)
# Words after a civility that are a function, not a person's name.
_NOT_NAMES = {
    "le", "la", "les", "président", "présidente", "préfet", "préfète", "maire", "directeur", "directrice",
    "ministre", "conseiller", "conseillère", "délégué", "déléguée", "référent", "référente",
}  # fmt: skip


def _digits(s: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", s).upper()


def iban_ok(candidate: str) -> bool:
    s = _digits(candidate)
    if not (15 <= len(s) <= 34) or not s[:2].isalpha() or not s[2:4].isdigit():
        return False
    if len(s) != _IBAN_LENGTH.get(s[:2]):
        return False
    rearranged = s[4:] + s[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def nir_ok(candidate: str) -> bool:
    s = _digits(candidate)
    if len(s) != 15 or s[0] not in "123478":
        return False
    body, key = s[:13], s[13:]
    body = (
        body.replace("2A", "19", 1) if body[5:7] == "2A" else body.replace("2B", "18", 1) if body[5:7] == "2B" else body
    )
    if not (body.isdigit() and key.isdigit()):
        return False
    return 97 - int(body) % 97 == int(key)


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_sub(m: re.Match[str]) -> str:
    """The prefix of the match of its country's IBAN length, if valid (the greedy pattern may run into words)."""
    text = m.group(0)
    ends = [i + 1 for i, ch in enumerate(text) if ch.isalnum()]
    n = _IBAN_LENGTH.get(text[:2].upper(), 0)
    if not n or n > len(ends) or not iban_ok(text[: ends[n - 1]]):
        return text
    found = text[: ends[n - 1]]
    if not found[:2].isupper() and not _digits(found)[2:].isdigit() and " " not in found:
        return text  # "be36-5789-75cc-…": a lower-case hex identifier, not a bank account
    rest = text[ends[n - 1] :]
    if rest[:1].isalnum():  # the IBAN must end at a group boundary
        return text
    return IBAN + rest


def _card_sub(m: re.Match[str]) -> str:
    digits = _digits(m.group(0))
    if not (13 <= len(digits) <= 19) or not luhn_ok(digits):
        return m.group(0)
    if _SIRET_BEFORE.search(m.string[max(0, m.start() - 20) : m.start()]):
        return m.group(0)  # SIRET and SIREN numbers pass the Luhn check too; they identify organisations
    return CARD


def _name_sub(m: re.Match[str]) -> str:
    first = m.group(2).split()[0]
    if first in ("le", "la", "les") or (first not in ("Le", "La", "Les") and first.lower() in _NOT_NAMES):
        return m.group(0)
    return m.group(1) + NAME


def redact(text: str) -> str:
    """Text with personal data replaced by placeholders; idempotent.

    A replacement can expose a new match (the boundary before "+33@x.fr" in "a@x.fr+33@x.fr"),
    so the rules run until nothing changes; each pass removes digits, "@" or capitalised words,
    so this ends quickly (one pass for ordinary text, two at most in practice).
    """
    if not text:
        return text
    for _ in range(8):
        out = _redact_once(text)
        if out == text:
            break
        text = out
    return text


def _redact_once(text: str) -> str:
    out = _EMAIL_RE.sub(EMAIL, text)
    out = _IBAN_RE.sub(_iban_sub, out)
    out = _NIR_CONTEXT_RE.sub(lambda m: m.group(1) + NIR, out)
    out = _NIR_RE.sub(lambda m: NIR if nir_ok(m.group(0)) else m.group(0), out)
    out = _CARD_RE.sub(_card_sub, out)
    out = _PHONE_RE.sub(PHONE, out)
    out = _NAME_RE.sub(_name_sub, out)
    return out


__all__ = ["CARD", "EMAIL", "IBAN", "NAME", "NIR", "PHONE", "iban_ok", "luhn_ok", "nir_ok", "redact"]
