"""Operations: audit trail, API keys, redaction, metrics, energy, rate limit, model files."""
