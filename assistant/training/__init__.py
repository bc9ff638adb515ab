"""Trainer mode: quiz items built and validated by code, the bank, session packs."""
