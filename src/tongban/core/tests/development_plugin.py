"""A plugin module that is for development only (imported by test_plugins, never collected)."""

DEVELOPMENT_ONLY = True
