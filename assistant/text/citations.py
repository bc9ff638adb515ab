"""Citation markers (« [n] » in an answer) and official links of the cited provisions."""

from __future__ import annotations

import re

# « [3] »: the number of a citation in the answer text.
MARKER = re.compile(r"\[(\d{1,3})\]")
# The same with the spaces before it (renumbering drops a marker with its space).
SPACED_MARKER = re.compile(r"\s*\[(\d{1,3})\]")
# One or more markers in a row (« [1] [2] »), with their spaces.
MARKER_RUN = re.compile(r"(\s*\[\d{1,3}\])+")
LEADING_MARKERS = re.compile(r"^(?:\s*\[\d{1,3}\])+")

# Links shown as links (elsewhere: plain text): the official publishers of the reference texts.
OFFICIAL_URL_PREFIXES = ("https://eur-lex.europa.eu/", "http://data.europa.eu/", "https://www.cnil.fr/")

_ANCHOR = re.compile(r"^(art|recital|annex)-([0-9a-z]+)")


def markers(text: str) -> list[int]:
    """The citation numbers of a text, in order (repeats kept)."""
    return [int(m) for m in MARKER.findall(text)]


def strip_markers(text: str) -> str:
    return MARKER.sub("", text)


def official_url(base: str | None, ref: str) -> str | None:
    """Official link of a provision: the document URL with the EUR-Lex anchor (#art_5, #rct_27, #anx_III)."""
    if not base:
        return None
    m = _ANCHOR.match(ref)
    if not m or "eur-lex.europa.eu" not in base:
        return base
    kind, num = m.groups()
    return base + "#" + {"art": f"art_{num}", "recital": f"rct_{num}", "annex": f"anx_{num.upper()}"}[kind]


__all__ = [
    "LEADING_MARKERS",
    "MARKER",
    "MARKER_RUN",
    "OFFICIAL_URL_PREFIXES",
    "SPACED_MARKER",
    "markers",
    "official_url",
    "strip_markers",
]
