"""Errors of the wallet."""

from civicid.core.errors import Conflict, InvalidInput, NotFound


class InvalidDocument(InvalidInput):
    code = "invalid_wallet_document"
    title = "The document cannot be added to the wallet"


class DocumentNotConfirmed(InvalidInput):
    """The agency did not confirm the document for this holder: one answer whether the document does
    not exist, is someone else's, or a key field does not match (it tells nobody which)."""

    code = "document_not_confirmed"
    title = "The agency did not confirm this document for you"
    status = 400


class DocumentAlreadyInWallet(Conflict):
    code = "document_already_in_wallet"
    title = "This document is already in the wallet"


class WalletDocumentNotFound(NotFound):
    code = "wallet_document_not_found"
    title = "No such document in this wallet"


class PortraitNotFound(NotFound):
    code = "portrait_not_found"
    title = "No portrait from enrollment for this e-ID card"
