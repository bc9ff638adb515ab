"""Redaction of personal data in questions and comments: realistic French data, legal references kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ops.redact import iban_ok, luhn_ok, nir_ok, redact


def nir(body: str, sep: str = "") -> str:
    """A NIR with its valid key; `sep` between the usual groups (1 85 05 78 006 084 36)."""
    n = int(body.upper().replace("2A", "19").replace("2B", "18"))
    full = body + f"{97 - n % 97:02d}"
    if not sep:
        return full
    groups = [full[0], full[1:3], full[3:5], full[5:7], full[7:10], full[10:13], full[13:]]
    return sep.join(groups)


def iban(country: str, bban: str, group: bool = True) -> str:
    """An IBAN with valid check digits (ISO 13616), grouped by four like on a RIB."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    s = f"{country}{98 - int(digits) % 97:02d}{bban}"
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4)) if group else s


def card(prefix: str, length: int = 16) -> str:
    """A card number passing the Luhn check."""
    body = prefix + "0" * (length - len(prefix) - 1)
    for d in "0123456789":
        if luhn_ok(body + d):
            return body + d
    raise AssertionError


def grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


NIR_1 = nir("1850578006084")
NIR_2 = nir("2690299341732")
NIR_CORSE = nir("185052A123456")
NIR_CORSE_B = nir("279112B045012")
IBAN_FR = iban("FR", "30006000011234567890189")
IBAN_DE = iban("DE", "370400440532013000")
IBAN_BE = iban("BE", "539007547034")
IBAN_ES = iban("ES", "21000418450200051332")
IBAN_IT = iban("IT", "X0542811101000000123456")
VISA = card("4970")
MASTERCARD = card("5132")
AMEX = card("37", 15)


POSITIVE = [
    # (text, placeholder that must appear, substring that must disappear)
    (f"Mon numéro de sécurité sociale est {NIR_1}.", "[NIR]", NIR_1),
    (f"NIR : {nir('1850578006084', ' ')}", "[NIR]", "006 084"),
    (f"L'agent {NIR_2} a demandé un congé", "[NIR]", NIR_2),
    (f"assuré né en Corse du Sud : {NIR_CORSE}", "[NIR]", NIR_CORSE),
    (f"né en Haute-Corse {nir('279112B045012', ' ')}", "[NIR]", "2B 045"),
    ("n° de sécu 1 85 05 78 006 084 00 (clé fausse)", "[NIR]", "006 084 00"),
    (f"numéro de sécurité sociale : {nir('1850578006084', '.')}", "[NIR]", "006.084"),
    ("Écrivez-moi à jean.dupont@departement13.fr", "[EMAIL]", "jean.dupont"),
    ("contact : m.martin+ia@laposte.net merci", "[EMAIL]", "laposte"),
    ("DUPONT_Jean@cg13.fr", "[EMAIL]", "DUPONT_Jean"),
    ("Appelez-moi au 06 12 34 56 78", "[TÉLÉPHONE]", "06 12 34 56 78"),
    ("tél. 0612345678", "[TÉLÉPHONE]", "0612345678"),
    ("standard : 04.13.31.13.13", "[TÉLÉPHONE]", "04.13.31.13.13"),
    ("ligne directe 04-91-21-13-13", "[TÉLÉPHONE]", "04-91-21-13-13"),
    ("+33 6 12 34 56 78", "[TÉLÉPHONE]", "6 12 34 56 78"),
    ("+33612345678", "[TÉLÉPHONE]", "612345678"),
    ("0033 4 91 21 13 13", "[TÉLÉPHONE]", "4 91 21 13 13"),
    ("+33 (0)7 81 22 33 44", "[TÉLÉPHONE]", "81 22 33 44"),
    (f"RIB : {IBAN_FR}", "[IBAN]", IBAN_FR[5:]),
    (f"virement sur {IBAN_FR.replace(' ', '')} demain", "[IBAN]", IBAN_FR.replace(" ", "")[4:]),
    (f"compte allemand {IBAN_DE}", "[IBAN]", IBAN_DE[5:]),
    (f"compte belge {IBAN_BE}", "[IBAN]", IBAN_BE[5:]),
    (f"IBAN {IBAN_ES} ET AUSSI", "[IBAN]", IBAN_ES[5:]),
    (f"iban {IBAN_IT.lower()}", "[IBAN]", IBAN_IT.lower()[5:]),
    (f"carte bancaire {grouped(VISA)}", "[CARTE]", grouped(VISA)),
    (f"CB {VISA}", "[CARTE]", VISA),
    (f"carte {MASTERCARD[:4]}-{MASTERCARD[4:8]}-{MASTERCARD[8:12]}-{MASTERCARD[12:]}", "[CARTE]", MASTERCARD[4:8]),
    (f"Amex {AMEX[:4]} {AMEX[4:10]} {AMEX[10:]}", "[CARTE]", AMEX[4:10]),
    ("Monsieur Jean Dupont a déposé une demande", "[NOM]", "Dupont"),
    ("Mme Martin est absente", "[NOM]", "Martin"),
    ("M. DURAND, agent des routes", "[NOM]", "DURAND"),
    ("Madame Marie-Claire Lefèvre", "[NOM]", "Lefèvre"),
    ("M. de Villiers", "[NOM]", "Villiers"),
    ("Je m'appelle Karim Benali et je travaille aux collèges", "[NOM]", "Benali"),
    ("Mademoiselle Nguyen", "[NOM]", "Nguyen"),
    ("Dr Rossi a signé", "[NOM]", "Rossi"),
    ("Merci d'avance — signé Nadia Roux, rue Paradis", "[NOM]", "Roux"),
    ("Cordialement, Inès Haddad", "[NOM]", "Haddad"),
]

NEGATIVE = [
    "article 5, paragraphe 1, point c)",
    "Quelle amende pour une pratique interdite au sens de l'article 5 ?",
    "règlement (UE) 2024/1689 du 13 juin 2024",
    "modifié par le règlement (UE) 2026/1744",
    "JO L 2024/1689 du 12.7.2024",
    "jusqu'à 35 000 000 EUR ou 7 % du chiffre d'affaires annuel mondial",
    "amende de 15 000 000 EUR ou 3 %",
    "annexe III point 5",
    "annexe III, point 5 b)",
    "considérant 27",
    "article L. 2121-29 du code général des collectivités territoriales",
    "article L2122-22 du CGCT",
    "article R. 123-45",
    "le 2 août 2026",
    "applicable à partir du 02/08/2026",
    "date : 2026-08-02 à 10:30",
    "le 01-02-2024 10 30",
    "CELEX 32024R1689",
    "http://data.europa.eu/eli/reg/2024/1689/oj",
    "règlement (UE) 2016/679 (RGPD), article 35",
    "directive 95/46/CE",
    "SIRET 22130001300018",
    "Madame la Présidente du Conseil départemental",
    "Monsieur le Préfet des Bouches-du-Rhône",
    "M. le Maire de Marseille",
    "défi 6, préconisation 2",
    "13 000 agents et 135 collèges",
    "budget de 2 500 000 000 EUR en 2025",
    "numéro de délibération 2025-12-345",
    "Les systèmes d'IA à haut risque visés à l'article 6, paragraphe 2",
    "article 99, paragraphe 3 : 35 000 000 EUR",
    "",
]


@pytest.mark.parametrize(("text", "placeholder", "gone"), POSITIVE)
def test_personal_data_is_redacted(text, placeholder, gone):
    out = redact(text)
    assert placeholder in out, out
    assert gone not in out, out


@pytest.mark.parametrize("text", NEGATIVE)
def test_legal_references_dates_amounts_are_kept(text):
    assert redact(text) == text


def test_context_around_personal_data_is_kept():
    q = f"Bonjour, je suis M. Dupont ({NIR_1}), joignable au 06 12 34 56 78 : l'article 26 s'applique-t-il ?"
    out = redact(q)
    assert out == "Bonjour, je suis M. [NOM] ([NIR]), joignable au [TÉLÉPHONE] : l'article 26 s'applique-t-il ?"


def test_checksums_gate_redaction():
    assert nir_ok(NIR_1) and nir_ok(NIR_CORSE) and nir_ok(NIR_CORSE_B)
    wrong_key = NIR_1[:-2] + f"{(int(NIR_1[-2:]) + 1) % 100:02d}"
    assert not nir_ok(wrong_key)
    assert redact(f"numéro {wrong_key}") == f"numéro {wrong_key}"  # 15 digits, wrong key, no context word
    assert iban_ok(IBAN_FR) and iban_ok(IBAN_DE) and iban_ok(IBAN_IT)
    bad_iban = IBAN_FR[:-1] + str((int(IBAN_FR[-1]) + 1) % 10)
    assert not iban_ok(bad_iban) and "[IBAN]" not in redact(bad_iban)
    assert luhn_ok(VISA) and luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert redact("4111111111111112") == "4111111111111112"


def test_several_items_in_one_text():
    text = f"{IBAN_FR} / {VISA} / a.b@c.fr / 06 12 34 56 78 / {NIR_2}"
    assert redact(text) == "[IBAN] / [CARTE] / [EMAIL] / [TÉLÉPHONE] / [NIR]"


_ALPHABET = st.sampled_from(
    [*list("0123456789 .-+@()AaBbFRMme"), "M. ", "Mme ", "Dupont", "2A", "FR76", "+33", "NIR ", "@x.fr", "\n", "é"]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_redact_is_idempotent(text):
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_redact_is_idempotent_on_any_text(text):
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([NIR_1, NIR_2, IBAN_FR, IBAN_DE, VISA, "06 12 34 56 78", "jean@cg13.fr"]), st.sampled_from(NEGATIVE)
)
def test_personal_data_inside_legal_text(secret, legal):
    out = redact(f"{legal} — {secret} — {legal}")
    assert secret not in out
    assert out.startswith(legal) and out.endswith(legal)


def test_identifiers_are_not_taken_for_ibans():
    """Hex answer ids ("ab12…") once passed the mod-97 check of an "IBAN" of an unknown country."""
    import random
    import uuid

    rng = random.Random(8)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(3000)]
    assert [u for u in ids if redact(u) != u] == []
    assert redact("AB12 3456 7890 1234 5678 90") == "AB12 3456 7890 1234 5678 90"  # no such country
