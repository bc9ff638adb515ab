"""Shared text helpers: normalisation, French/English dates and months, citation markers."""
