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


class InvalidHolderInput(InvalidInput):
    """A password, passcode, answer or device key that the rules do not accept (the value is never echoed)."""

    code = "invalid_holder_input"
    title = "The value does not meet the account's rules"


class InvalidPasscode(Forbidden):
    """A wrong passcode: counted, recorded, then raised (five in a row lock the passcode for a while)."""

    code = "invalid_passcode"
    title = "The passcode is wrong"


class PasscodeLocked(CivicIDError):
    code = "passcode_locked"
    title = "Too many wrong passcodes: log in again after a while"
    status = 423


class AccountLocked(CivicIDError):
    """The account is locked on some ground: it cannot log in or show documents until no ground remains."""

    code = "account_locked"
    title = "The e-ID account is locked"
    status = 423


class LockNotFound(NotFound):
    code = "lock_not_found"
    title = "No such lock on this account"


class LockNotLiftable(Conflict):
    code = "lock_not_liftable"
    title = "This lock is lifted already, or only its own ground can lift it"


class Level1Refused(CivicIDError):
    """A level-1 self-registration refused, with its reason (``reason``): ``no_face``, ``not_same_person``,
    ``card_not_matching``, ``card_unreadable``, ``already_has_account``, ``phone_taken``, ``too_young``,
    ``too_many_attempts``. Recorded (attempt row and audit) before it is raised."""

    code = "level1_refused"
    title = "The level-1 account could not be opened"
    status = 422


class ChildRefused(Forbidden):
    """A parent's request about a child refused (``reason``: ``guardian_level``, ``not_guardian``,
    ``too_old``, ``not_a_child_account``, ``too_old_for_card``, ``no_consent``); recorded, then raised."""

    code = "child_refused"
    title = "This cannot be done for this child"


class AssistedRefused(CivicIDError):
    """An assisted activation refused (``reason``: ``no_consent``, ``identity_not_checked``, ``phone_limit``,
    ``already_active``, ``invalid_code``, ``out_of_scope``, ``phone_invalid``, ``relation_unknown``, ``too_young``);
    recorded, then raised."""

    code = "assisted_refused"
    title = "The assisted activation could not go ahead"
    status = 422


class Level1Unavailable(CivicIDError):
    code = "level1_unavailable"
    title = "Level-1 registration is not available in this deployment"
    status = 503


RECORDED_REFUSALS = (
    InvalidCode,
    InvalidHolderCredentials,
    LoginLocked,
    DeviceNotBound,
    InvalidDeviceProof,
    InvalidPasscode,
    PasscodeLocked,
    AccountLocked,
    Level1Refused,
    ChildRefused,
    AssistedRefused,
)
"""Refusals whose counters and audit entries must outlive the refused request: the edge commits, then raises."""
