"""Errors of e-ID accounts."""

from civicid.core.errors import Conflict, InvalidInput, NotFound


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = "No e-ID account for this person"


class PhoneNumberTaken(Conflict):
    code = "phone_number_taken"
    title = "This phone number is already bound to another e-ID account"


class InvalidAccountInput(InvalidInput):
    code = "invalid_account_input"
    title = "The account cannot be issued with these values"
