"""Ingestion: manifest, parsers (sandboxed), structural chunking."""
