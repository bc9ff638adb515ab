"""Reading one table of a law data file with explicit checks, and the French error that names
the file, the entry and the field at fault."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date

from assistant.base.errors import ConfigError
from assistant.law.model import AI_ACT, DOCS, Ref

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def data_error(file: str, entry: str, field: str, problem: str) -> ConfigError:
    """« Données juridiques <file>, entrée « <entry> », champ « <field> » : <problem>. Corrigez … »"""
    where = f"Données juridiques {file}"
    if entry:
        where += f", entrée « {entry} »"
    if field:
        where += f", champ « {field} »"
    return ConfigError(f"{where} : {problem}. Corrigez le fichier puis relancez `make test`.")


def substitute(pattern: str, fragments: Mapping[str, str]) -> str:
    """`{name}` → the named fragment (regex quantifiers such as {0,60} are digits: left alone)."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) not in fragments:
            raise KeyError(m.group(1))
        return fragments[m.group(1)]

    return _PLACEHOLDER.sub(one, pattern)


class Table:
    """One table (an entry) of a data file: typed getters that raise `data_error` on a bad value."""

    def __init__(self, file: str, entry: str, data: object, allowed: Collection[str]):
        self.file, self.entry = file, entry
        if not isinstance(data, dict):
            raise data_error(file, entry, "", "table attendue")
        self.data: dict[str, object] = data
        for key in data:
            if key not in allowed:
                raise data_error(file, entry, key, f"champ inconnu (champs possibles : {', '.join(sorted(allowed))})")

    def error(self, field: str, problem: str) -> ConfigError:
        return data_error(self.file, self.entry, field, problem)

    def has(self, key: str) -> bool:
        return key in self.data

    def text(self, key: str, default: str | None = None, *, empty: bool = False) -> str:
        """A string; required when there is no default; non-empty unless `empty`."""
        if key not in self.data:
            if default is None:
                raise self.error(key, "champ absent")
            return default
        value = self.data[key]
        if not isinstance(value, str):
            raise self.error(key, f"texte attendu, trouvé {_kind(value)}")
        if not value.strip() and not empty:
            raise self.error(key, "texte vide")
        return value

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        """A list of non-empty strings (absent: empty tuple, unless required)."""
        if key not in self.data:
            if required:
                raise self.error(key, "champ absent")
            return ()
        value = self.data[key]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, f"liste de textes non vides attendue, trouvé {_kind(value)}")
        return tuple(value)

    def choice(self, key: str, allowed: Collection[str], default: str | None = None) -> str:
        value = self.text(key, default)
        if value not in allowed:
            raise self.error(key, f"valeur « {value} » inconnue (valeurs possibles : {', '.join(allowed)})")
        return value

    def choices(self, key: str, allowed: Collection[str], *, required: bool = False) -> tuple[str, ...]:
        values = self.texts(key, required=required)
        for v in values:
            if v not in allowed:
                raise self.error(key, f"valeur « {v} » inconnue (valeurs possibles : {', '.join(allowed)})")
        return values

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"true ou false attendu, trouvé {_kind(value)}")
        return value

    def integer(self, key: str, default: int | None = None, *, minimum: int = 0) -> int:
        if key not in self.data and default is not None:
            return default
        value = self.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(key, f"nombre entier attendu, trouvé {_kind(value)}")
        if value < minimum:
            raise self.error(key, f"nombre au moins égal à {minimum} attendu")
        return value

    def day(self, key: str) -> date:
        value = self.data.get(key)
        if not isinstance(value, date):
            raise self.error(key, f"date attendue (AAAA-MM-JJ, sans guillemets), trouvé {_kind(value)}")
        return value

    def regex(self, key: str, fragments: Mapping[str, str] | None = None, *, required: bool = True) -> str:
        """A regular expression on accent-folded text: one string, or a list of alternatives joined
        with « | »; `{name}` stands for a named fragment. Checked by compiling it."""
        if key not in self.data and not required:
            return ""
        value = self.data.get(key)
        if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            value = "|".join(value)
        if not isinstance(value, str) or not value:
            raise self.error(key, "expression régulière attendue (texte, ou liste d'alternatives)")
        try:
            value = substitute(value, fragments or {})
        except KeyError as exc:
            raise self.error(key, f"fragment « {{{exc.args[0]}}} » inconnu (fragments définis plus haut)") from None
        try:
            re.compile(value)
        except re.error as exc:
            raise self.error(key, f"expression régulière invalide ({exc})") from None
        return value

    def ref(self, *, doc: str = AI_ACT) -> Ref:
        """The provision an entry rests on: `source` (its reference in the index), `doc` (default
        the AI Act), `focus` (words the quote centres on)."""
        if "source" not in self.data:
            raise self.error("source", "référence absente")
        return Ref(self.choice("doc", DOCS, doc), self.text("source"), self.text("focus", "", empty=True))

    def tables(self, key: str, allowed: Collection[str], *, required: bool = True) -> list[Table]:
        """A list of inline tables, each checked against `allowed` fields."""
        if key not in self.data and not required:
            return []
        value = self.data.get(key)
        if not isinstance(value, list) or (required and not value):
            raise self.error(key, "liste de tables { … } attendue")
        return [Table(self.file, f"{self.entry} › {key} n° {i}", item, allowed) for i, item in enumerate(value, 1)]

    def refs(self, key: str, *, required: bool = True) -> tuple[Ref, ...]:
        """A list of provisions { source = …, doc = …, focus = … }."""
        return tuple(t.ref() for t in self.tables(key, {"source", "doc", "focus"}, required=required))


def _kind(value: object) -> str:
    if value is None:
        return "rien"
    return {
        bool: "un booléen",
        int: "un nombre",
        float: "un nombre",
        str: "un texte",
        list: "une liste",
        dict: "une table",
    }.get(type(value), type(value).__name__)
