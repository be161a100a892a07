"""Errors of the crypto package: one base, located input errors, and probe failures."""

from __future__ import annotations

from stackrift.errors import InputError, InvalidInputError, StackRiftError


class CryptoError(StackRiftError):
    """Base of every error the crypto package raises on purpose."""


class CryptoInputError(CryptoError, InvalidInputError):
    """A certificate, CBOM, pack or endpoint file is malformed; the message starts with where."""


class ProbeError(CryptoError, InputError):
    """A live TLS probe could not complete: refused, timed out, or the server's reply was not
    TLS. The message names the endpoint and what happened."""
