"""Errors of the wallet."""

from civicid.core.errors import InvalidInput


class InvalidDocument(InvalidInput):
    code = "invalid_wallet_document"
    title = "The document cannot be added to the wallet"
