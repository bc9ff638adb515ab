"""REST API (FastAPI) over the core service."""
