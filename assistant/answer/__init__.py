"""Grounded answers: evidence selection, verdicts, dates, scope, citations checked by code."""
