"""The département's register of AI uses: entries made from an assessment, their lifecycle and human
decision, an append-only store, and the public exports (docs/REGISTER.md)."""
