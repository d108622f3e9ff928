"""Errors of the notification outbox."""

from civicid.core.errors import InvalidInput


class UnknownTemplate(InvalidInput):
    code = "unknown_sms_template"
    title = "No such SMS template, or a parameter is missing"


class InvalidRecipient(InvalidInput):
    code = "invalid_sms_recipient"
    title = "The recipient is not a mobile phone number"


class SmsGatewayError(Exception):
    """A gateway could not accept a message; the dispatcher retries later.

    Adapters translate their transport's exceptions into this one (``from exc``). Its message must
    not contain the recipient's number.
    """
