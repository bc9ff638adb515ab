"""The service every entry point calls: ask, assess, search, quiz, documents; audited in one place."""
