"""Assessment of a planned use of AI: facts, the risk map (law data), the fiche."""
