"""Gradio UI in French, mounted at /ui, over the core service."""
