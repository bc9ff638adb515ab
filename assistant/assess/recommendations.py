"""The CNIL's recommendations next to the AI Act's obligations in an assessment.

An assessment lists what the regulation requires (obligations.toml) and what the département's
charter asks (charter.toml); the regulator's advice (law/recommendations.toml: on-premise
deployment, an internal usage policy, user training, governance, the DPO and the impact
assessment) comes after them under its own heading, which says it does not bind. Each is quoted
verbatim from the CNIL's text (CC BY-ND: never reworded), its citation carrying the licence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.law.model import Challenge

HEADING = "Recommandations de la CNIL (non contraignantes, citées à l'identique) :"
MAX_RECOMMENDATIONS = 4  # more would drown the obligations; the file's order is the priority


def due(recommendations: Sequence[Challenge], holds: Mapping[str, bool]) -> list[Challenge]:
    """The recommendations whose conditions all hold, in the file's order, at most MAX_RECOMMENDATIONS."""
    return [r for r in recommendations if all(holds.get(c, False) for c in r.when)][:MAX_RECOMMENDATIONS]


__all__ = ["HEADING", "MAX_RECOMMENDATIONS", "due"]
