"""Errors of the agencies' port."""

from civicid.core.errors import CivicIDError, InvalidInput


class AgencyUnavailable(CivicIDError):
    """The agency did not answer (an outage, a timeout): nothing is known, ask again later."""

    code = "agency_unavailable"
    title = "The document's agency cannot be reached now"
    status = 503


class InvalidKeyFields(InvalidInput):
    """A key field missing, unexpected or not in the agency's format (the value is never echoed)."""

    code = "invalid_key_fields"
    title = "The document's key fields are missing or not in the agency's format"
