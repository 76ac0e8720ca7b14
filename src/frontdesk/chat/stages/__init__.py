"""The chat turn's stages, in order: admit → understand → record → ground → answer → store.

Each is a function returning a small frozen result that the later stages read; ``ChatEngine``
(``chat/engine.py``) runs them. Only ``record`` and ``store`` open a transaction, and no stage
makes a network call inside one.
"""
