"""Cryptographic inventory, regime packs and cross-regime interoperability.

Not wired into the CLI or the analyses yet: callers use ``loader``, ``inventory`` and ``engine``.
"""
