"""The `assistant` command line over the core service."""
