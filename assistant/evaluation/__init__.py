"""Evaluation: question-set runs, scoring, reports, comparisons, attacks, external benchmark."""
