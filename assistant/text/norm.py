"""Text normalisation shared by parsing, indexing, citation checks and scoring."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")
# Unicode spaces (no-break, narrow no-break, thin...) become plain spaces so that
# figures such as "35 000 000" match whatever the user types.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u2008\u2009\u200a\u202f\u205f\u3000"), " ")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'"})


def clean_ws(text: str) -> str:
    """Collapse whitespace (all Unicode spaces) to single spaces and strip."""
    return _WS.sub(" ", text.translate(_SPACES).translate(_INVISIBLE)).strip()


def fold(text: str) -> str:
    """Lower case, accents stripped, typographic apostrophes unified, spaces collapsed.

    This is the normalisation of PRODUCT.md's scoring rules; it is idempotent.
    """
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return clean_ws(text.lower())
