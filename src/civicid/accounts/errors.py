"""Errors of e-ID accounts."""

from civicid.core.errors import CivicIDError, Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound


class AccountNotFound(NotFound):
    code = "account_not_found"
    title = "No e-ID account for this person"


class PhoneNumberTaken(Conflict):
    code = "phone_number_taken"
    title = "This phone number is already bound to another e-ID account"


class InvalidAccountInput(InvalidInput):
    code = "invalid_account_input"
    title = "The account cannot be issued with these values"


class InvalidCode(InvalidInput):
    """One answer for a wrong, expired, used or unknown code, whoever asks: it tells no one which."""

    code = "invalid_code"
    title = "The code is wrong or no longer valid"
    status = 400


class InvalidTicket(NotAuthenticated):
    code = "invalid_ticket"
    title = "The activation ticket is wrong or has expired: verify a new code"


class InvalidHolderCredentials(NotAuthenticated):
    """Wrong ID number or password, or an account that is not active: the same answer for each."""

    code = "invalid_credentials"
    title = "Wrong ID number or password"


class LoginLocked(CivicIDError):
    code = "login_locked"
    title = "Too many wrong passwords: login is locked for a while"
    status = 423


class DeviceNotBound(Forbidden):
    code = "device_not_bound"
    title = "This device is not bound to the account: bind it with an SMS code"


class InvalidDeviceProof(NotAuthenticated):
    code = "invalid_device_proof"
    title = "The device's proof of possession does not verify"


class HolderSessionInvalid(NotAuthenticated):
    code = "holder_session_invalid"
    title = "The session is unknown, expired or belongs to another device"


RECORDED_REFUSALS = (InvalidCode, InvalidHolderCredentials, LoginLocked, DeviceNotBound, InvalidDeviceProof)
"""Refusals whose counters and audit entries must outlive the refused request: the edge commits, then raises."""


class InvalidHolderInput(InvalidInput):
    """A password, passcode, answer or device key that the rules do not accept (the value is never echoed)."""

    code = "invalid_holder_input"
    title = "The value does not meet the account's rules"
