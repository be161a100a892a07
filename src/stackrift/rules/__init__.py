"""Cross-border data-transfer rules: rule packs as data, and the engine that applies them.

The public entry points are in :mod:`stackrift.rules.engine`.
"""
