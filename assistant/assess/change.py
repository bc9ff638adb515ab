"""A changed fact in a conversation (« et si un agent valide chaque décision ? »): which facts the
change states, and what it changed in the assessment (level, grounds, article 6(3) derogation).

The facts of the change are read by the same French keyword cues as a description
(`riskmap.keyword_facts`, law/cues-fr.toml); only the findings the words state (not the
defaults the cues presume) count. They are given to the re-run assessment as facts of the
caller, so they win over what the first description said. What changed is said by code from
the two decisions, never by the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.assess import levels
from assistant.assess import riskmap as rm

DEROGATION_REF = "art-6-3"


def changed_facts(change: str) -> dict[str, object]:
    """The facts the words of a change state (strong or weak cue findings, never the defaults)."""
    if not change.strip():
        return {}
    kw = rm.keyword_facts(change)
    return {name: f.value for name, f in kw.values.items() if f.strength > rm.DEFAULT and name not in kw.conflicts}


def facts_of_cited(refs: Sequence[str], level: str | None) -> dict[str, object]:
    """The facts an answer established by citing a case of the map (« annexe III, point 4 a) » →
    domain emploi_rh, decisions on persons): the requirements of the map's entries of the answer's
    level whose provision it cites first. A « et si » after a question starts from them."""
    if level is None:
        return {}
    cited = [r.partition(":")[2] for r in refs if r.startswith("ai-act:")]
    for ref in cited:  # the first case the answer cites (its most relevant passage comes first)
        for entry in rm.ENTRIES:
            if entry.level == level and (ref == entry.main.ref or ref.startswith(entry.main.ref + "-")):
                return {
                    name: list(values) if name == "domaine" else values[0]
                    for name, values in entry.requires.items()
                    if name == "domaine" or len(values) == 1
                }
    return {}


def _fact_line(name: str, value: object) -> str:
    fact = rm.FACTS.get(name)
    label = fact.label if fact else name
    shown = ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return f"{label} : {shown}"


def _derogation(grounds: Sequence[Mapping[str, Any]]) -> str | None:
    kinds = {str(g.get("kind")) for g in grounds}
    if "derogation" in kinds:
        return "applies"
    if "profiling" in kinds:
        return "profiling"
    return None


def what_changed(
    before_level: str | None,
    before_grounds: Sequence[str],
    after_level: str,
    after_grounds: Sequence[Mapping[str, Any]],
    facts: Mapping[str, object],
) -> list[str]:
    """French sentences: the facts changed, the level before and after, grounds added or gone, art. 6(3)."""
    out = [f"Fait modifié — {_fact_line(n, v)}." for n, v in facts.items()]
    if not facts:
        out.append(
            "Aucun fait reconnu dans l'hypothèse : l'évaluation est refaite avec ses mots ajoutés à la description."
        )
    after = levels.PHRASE.get(after_level, after_level)
    if before_level is None:
        out.append(f"Niveau après l'hypothèse : {after}.")
    elif before_level == after_level:
        out.append(f"Niveau inchangé : {after}.")
    else:
        out.append(f"Niveau : {levels.PHRASE.get(before_level, before_level)} → {after}.")
    decisive = [g for g in after_grounds if g.get("kind") in ("match", "derogation", "profiling")]
    ids = [str(g.get("id")) for g in decisive]
    added = [str(g.get("label")) for g in decisive if g.get("id") not in set(before_grounds)]
    gone = [g for g in before_grounds if g not in ids]
    if before_level is not None and added:
        lead = "Nouveau fondement" if before_grounds else "Fondement"
        out.append(f"{lead} : " + " ; ".join(dict.fromkeys(added)) + ".")
    if gone:
        out.append(f"Fondement(s) qui ne s'appliquent plus : {len(gone)}.")
    derog = _derogation(after_grounds)
    if derog == "applies":
        out.append("La dérogation de l'article 6, paragraphe 3, s'applique : le système n'est pas à haut risque.")
    elif derog == "profiling":
        out.append(
            "La dérogation de l'article 6, paragraphe 3, ne s'applique pas : le système établit un profil de personnes."
        )
    elif after_level == "high-risk":
        out.append(
            "La dérogation de l'article 6, paragraphe 3, ne s'applique pas : aucun de ses cas n'est établi (tâche "
            "procédurale étroite, amélioration d'une activité humaine achevée, détection d'écarts, tâche préparatoire) ; "
            "la validation des résultats par un agent n'en fait pas partie."
        )
    return out


def verdict_level(verdict: str | None) -> str | None:
    """The level an answer's verdict stands for (interdit → prohibited…), None without a verdict."""
    return {"interdit": "prohibited", "haut-risque": "high-risk", "transparence": "limited"}.get(verdict or "")


__all__ = ["DEROGATION_REF", "changed_facts", "facts_of_cited", "verdict_level", "what_changed"]
