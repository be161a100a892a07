"""Readers of cryptographic inventory: CycloneDX CBOMs and X.509 certificates."""
