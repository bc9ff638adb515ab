"""Assistant IA-réglementation du Département des Bouches-du-Rhône (local, sourced, labelled)."""

__version__ = "0.1.0"
