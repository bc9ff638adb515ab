"""Seeded generator of French questions carrying realistic personal data (issue 8, personal data).

    python eval/pii.py [--n 240] [--seed 13] [--out eval/pii.jsonl]

Each case is a question an agent might really type, with the personal data it holds listed
apart so that a test can look for every value in the audit trail and the logs:

    {"id": "pii-001", "question": "...",
     "secrets": {"nir": [...], "iban": [...], "email": [...], "phone": [...], "card": [...]},
     "names": [...],        # surnames after a civility (redacted "where feasible")
     "legal": [...]}        # legal references that must survive redaction verbatim

Values are valid where a checksum exists (NIR key, IBAN mod 97, card Luhn) so that the
redaction cannot rely on "looks wrong". Nothing here is a real person's data: names and
streets come from short lists, numbers from a seeded generator.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

FIRST = ["Jean", "Sophie", "Karim", "Marie-Claire", "Lucas", "Nadia", "Hélène", "Mohamed", "Chloé", "Éric",
         "Fatima", "Thomas", "Inès", "Jérôme", "Camille", "Yannick", "Aurélie", "Rémi", "Léa", "François"]  # fmt: skip
LAST = ["Martin", "Dupont", "Benali", "Lefèvre", "Nguyen", "Garcia", "Rossi", "Moreau", "Haddad", "Fabre",
        "Roux", "Bonnet", "Mercier", "Girard", "Chevalier", "Lambert", "Faure", "Perrin", "Morel", "Giraud"]  # fmt: skip
CIVILITY = ["M.", "Mme", "Monsieur", "Madame", "Mlle", "Dr", "Maître"]
STREETS = ["rue de la République", "boulevard Baille", "avenue du Prado", "chemin des Aubagnens",
           "rue Paradis", "cours Mirabeau", "impasse des Lilas", "quai de Rive-Neuve"]  # fmt: skip
TOWNS = [("13001", "Marseille"), ("13100", "Aix-en-Provence"), ("13200", "Arles"), ("13400", "Aubagne"),
         ("13500", "Martigues"), ("13300", "Salon-de-Provence"), ("13600", "La Ciotat")]  # fmt: skip
DOMAINS = ["departement13.fr", "orange.fr", "gmail.com", "laposte.net", "free.fr", "wanadoo.fr", "yahoo.fr",
           "cg13.fr", "sfr.fr", "outlook.fr"]  # fmt: skip
LEGAL = [
    "article 5, paragraphe 1, point c)",
    "règlement (UE) 2024/1689",
    "annexe III",
    "annexe III, point 5 a)",
    "article 26, paragraphe 7",
    "article 50, paragraphe 2",
    "considérant 27",
    "article 99, paragraphe 3",
    "règlement (UE) 2026/1744",
    "article 6, paragraphe 2",
    "article 27",
    "article L. 2121-29 du CGCT",
    "article 4",
    "35 000 000 EUR",
    "7 % du chiffre d'affaires",
    "2 août 2026",
    "défi 6 de la charte",
    "article 113, point b)",
    "annexe I, section A",
    "délibération n° 2025-118",
]  # fmt: skip
QUESTIONS = [
    "l'{legal} s'applique-t-il à notre projet de tri des dossiers ?",
    "que dit l'{legal} sur notre outil de notation ?",
    "pouvez-vous vérifier si l'{legal} interdit ce traitement ?",
    "quelles obligations au titre de l'{legal} pour le Département ?",
    "notre service doit-il informer les usagers selon l'{legal} ?",
    "quelle amende prévoit l'{legal} ?",
]
FRAMES = [
    "Bonjour, je suis {civ} {first} {last} ({email}). {q}",
    "{civ} {last} a écrit depuis {email} et demande : {q}",
    "Je m'appelle {first} {last}, joignable au {phone} : {q}",
    "Dossier de {civ} {last}, NIR {nir} : {q}",
    "Mon numéro de sécurité sociale est {nir} ; {q}",
    "Pour le remboursement, voici mon IBAN {iban}. Au fait, {q}",
    "Rappelez {civ} {last} au {phone} ou à {email} : {q}",
    "L'usager {nir} ({civ} {last}, {number} {street}, {cp} {town}) conteste la décision : {q}",
    "Carte {card} débitée par erreur pour {civ} {last}. {q}",
    "Agent : {email}, tél. {phone}, RIB {iban}, CB {card}. Question : {q}",
    "{civ} {first} {last}, né(e) le {dob}, n° de sécu {nir}, demeurant {number} {street} {cp} {town} : {q}",
    "Contact : {phone} / {email}. {q} (cf. {legal2})",
    "Virement sur {iban} pour {civ} {last}, {q}",
    "Transmettez à {email} et {email2}, copie {civ} {last} : {q}",
    "Ma collègue {civ} {last} ({phone}) me demande : {q} Merci, {first}.",
    "Écrire à <{email}> (mailto:{email2}) ; tél:{phone} ; IBAN:{iban}, {q}",
    "Réf. dossier 2024/1689-{number}, NIR={nir}, {civ} {last} : {q}",
    "{q} — signé {first} {last}, {number} {street}, {cp} {town}, {phone}",
]


# ----------------------------------------------------------------------------- valid numbers


def nir_key(body13: str) -> int:
    n = int(body13.upper().replace("2A", "19").replace("2B", "18"))
    return 97 - n % 97


def make_nir(rng: random.Random) -> str:
    sex = rng.choice("12")
    yy = f"{rng.randint(40, 99):02d}"
    mm = f"{rng.randint(1, 12):02d}"
    dept = rng.choice(["13", "13", "84", "83", "75", "2A", "2B", "69", "06", "30"])
    commune = f"{rng.randint(1, 990):03d}"
    order = f"{rng.randint(1, 999):03d}"
    body = sex + yy + mm + dept + commune + order
    full = body + f"{nir_key(body):02d}"
    style = rng.choice(["compact", "groups", "groups", "dots", "dashes"])
    if style == "compact":
        return full
    groups = [full[0], full[1:3], full[3:5], full[5:7], full[7:10], full[10:13], full[13:]]
    return {"groups": " ", "dots": ".", "dashes": "-"}[style].join(groups)


_BBAN = {"FR": 23, "DE": 18, "BE": 12, "ES": 20, "IT": 23, "LU": 16, "MC": 23}


def make_iban(rng: random.Random) -> str:
    country = rng.choice(["FR", "FR", "FR", "DE", "BE", "ES", "IT", "LU", "MC"])
    n = _BBAN[country]
    if country == "IT":
        bban = rng.choice("ABCDEFGHKLMNPRSTUVWXYZ") + "".join(rng.choice("0123456789") for _ in range(n - 1))
    elif country in ("FR", "MC"):
        bban = "".join(rng.choice("0123456789") for _ in range(n))
    else:
        bban = "".join(rng.choice("0123456789") for _ in range(n))
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    s = f"{country}{98 - int(digits) % 97:02d}{bban}"
    if rng.random() < 0.7:
        return " ".join(s[i : i + 4] for i in range(0, len(s), 4))
    return s


def luhn_complete(body: str) -> str:
    for d in "0123456789":
        total = 0
        for i, ch in enumerate(reversed(body + d)):
            x = int(ch)
            if i % 2:
                x = x * 2 - 9 if x > 4 else x * 2
            total += x
        if total % 10 == 0:
            return body + d
    raise AssertionError("unreachable")


def make_card(rng: random.Random) -> str:
    prefix = rng.choice(["4970", "4", "51", "55", "2221"])
    body = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
    number = luhn_complete(body)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4)) if rng.random() < 0.7 else number


# (prefix before the first digit, separator between pairs) of the usual ways to write a number
_PHONE_STYLES = [("0", " "), ("0", "."), ("0", ""), ("+33 ", " "), ("+33", ""), ("0033 ", " "),
                 ("+33 (0)", " "), ("0", "-")]  # fmt: skip


def make_phone(rng: random.Random) -> str:
    first = rng.choice("1234567899")
    if first == "9":
        first = rng.choice("67")
    pairs = [f"{rng.randint(0, 99):02d}" for _ in range(4)]
    prefix, sep = rng.choice(_PHONE_STYLES)
    return prefix + first + sep + sep.join(pairs)


def _ascii(s: str) -> str:
    table = str.maketrans("éèêëàâîïôöûùçÉÈ", "eeeeaaiioouucEE")
    return s.translate(table).lower().replace(" ", "")


def make_email(rng: random.Random, first: str, last: str) -> str:
    f, la = _ascii(first), _ascii(last)
    local = rng.choice([f"{f}.{la}", f"{f[0]}.{la}", f"{f}{la}{rng.randint(1, 99)}", f"{f}_{la}", f"{la}.{f}"])
    email = f"{local}@{rng.choice(DOMAINS)}"
    return email.capitalize() if rng.random() < 0.1 else email


# ----------------------------------------------------------------------------- cases


def generate(n: int = 240, seed: int = 13) -> list[dict]:
    """`n` cases, the same for the same seed; every frame used, every kind of number present."""
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        frame = FRAMES[i % len(FRAMES)]
        first, last = rng.choice(FIRST), rng.choice(LAST)
        legal, legal2 = rng.sample(LEGAL, 2)
        values = {
            "civ": rng.choice(CIVILITY),
            "first": first,
            "last": last,
            "email": make_email(rng, first, last),
            "email2": make_email(rng, rng.choice(FIRST), rng.choice(LAST)),
            "phone": make_phone(rng),
            "nir": make_nir(rng),
            "iban": make_iban(rng),
            "card": make_card(rng),
            "number": str(rng.randint(1, 180)),
            "street": rng.choice(STREETS),
            "dob": f"{rng.randint(1, 28)}/{rng.randint(1, 12):02d}/{rng.randint(1940, 2004)}",
            "legal2": legal2,
        }
        values["cp"], values["town"] = rng.choice(TOWNS)
        q = rng.choice(QUESTIONS).format(legal=legal)
        text = frame.format(q=q, **values)
        text = text[0].upper() + text[1:]
        used = set(re.findall(r"\{(\w+)\}", frame))
        secrets = {
            "nir": [values["nir"]] if "nir" in used else [],
            "iban": [values["iban"]] if "iban" in used else [],
            "email": [values[k] for k in ("email", "email2") if k in used],
            "phone": [values["phone"]] if "phone" in used else [],
            "card": [values["card"]] if "card" in used else [],
        }
        names = [last] if any(t in frame for t in ("{civ} {", "m'appelle {first}", "signé {first}")) else []
        legal_refs = [legal] + ([legal2] if "legal2" in used else [])
        cases.append(
            {"id": f"pii-{i + 1:03d}", "question": text, "secrets": secrets, "names": names, "legal": legal_refs}
        )
    return cases


def compact(value: str) -> str:
    """A number without its separators (how it might leak once spaces are stripped)."""
    return re.sub(r"[\s.\-]", "", value)


def leaks(case: dict, text: str) -> list[str]:
    """The personal values of `case` found in `text` (as written, or without separators)."""
    flat = compact(text).lower()
    found = []
    for kind, values in case["secrets"].items():
        for v in values:
            if v.lower() in text.lower():
                found.append(f"{kind}:{v}")
            elif kind != "email" and compact(v).lower() in flat:
                found.append(f"{kind}:{v} (sans séparateurs)")
            elif kind == "email" and v.split("@")[0].lower() in text.lower():
                found.append(f"{kind}:{v} (partie locale)")
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=240)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--out", default=str(Path(__file__).with_name("pii.jsonl")))
    args = p.parse_args(argv)
    cases = generate(args.n, args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(f"{len(cases)} questions écrites dans {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
