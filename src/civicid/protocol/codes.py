"""Codes that travel between the kit and the server: what a visit ended with, where an application stands and why,
and the steps of its timeline.

They are part of the wire format (``civicid-field-sync/1``, ``civicid-relay/1``) and are stored: a value
is never renamed, only added, and a kit that meets a value it does not know keeps what it had. Each
has its words in the pages' catalogues, in Vietnamese and English (checked by the tests).
"""

from __future__ import annotations

from enum import StrEnum


class VisitOutcome(StrEnum):
    """How a visit to a household or a person ended, as the operator records it on the kit."""

    DONE = "done"
    ABSENT = "absent"
    REFUSED = "refused"
    NO_SMARTPHONE = "no_smartphone"
    NO_SIGNAL = "no_signal"
    MOVED = "moved"
    DECEASED = "deceased"
    OTHER = "other"


class ApplicationStatus(StrEnum):
    """Where a level-2 application stands on the server; the kit shows it and maps it (field/outbox.py)."""

    RECEIVING = "receiving"  # the envelope is in; some declared parts are not
    PROCESSING = "processing"  # complete; the pipeline is at work
    NEEDS_CORRECTION = "needs_correction"  # the data disagree with the registry: back to the operator
    INELIGIBLE = "ineligible"  # the age rules or the guardian do not allow this application
    REJECTED_INTEGRITY = "rejected_integrity"  # a part does not open or does not match its hash
    SUSPECTED_DUPLICATE = "suspected_duplicate"  # in the adjudication queue
    REJECTED_DUPLICATE = "rejected_duplicate"  # the same person already holds an identity
    AWAITING_APPROVAL = "awaiting_approval"  # unique; waits for the supervisor (maker-checker)
    REJECTED = "rejected"  # the supervisor said no
    ISSUED = "issued"  # account issued at level 2, pending activation (or the child's card)


class Stage(StrEnum):
    """A step of an application on the server, as its timeline names it (the pages, the timeline API)."""

    RECEIVED = "received"  # intake: the envelope is in
    COMPLETE = "complete"  # intake: every declared part is in
    INTEGRITY = "integrity"  # the device, the parts' hashes, unsealed, extracted
    REGISTRY_MATCH = "registry_match"  # the ID number, name, date of birth and sex against the registry
    ELIGIBILITY = "eligibility"  # the age rules and the guardian
    BIOMETRICS = "biometrics"  # 1:1 against the person's reference, then 1:N deduplication
    APPROVAL = "approval"  # the supervisor approves or rejects (maker-checker)
    ADJUDICATION = "adjudication"  # the supervisor settles a suspected duplicate
    ISSUE = "issue"  # the account or the child's card, the SMS, the documents


class StatusReason(StrEnum):
    """Why the pipeline put an application where it stands: its ``status_reason``, which kits learn with the status.

    The pages word each one (``enrollment.reason.<value>``); a kit shows what it does not know as it came.
    """

    # Integrity: the problem code of what failed (protocol/errors.py, devices/errors.py).
    INVALID_PACKET_SIGNATURE = "invalid_packet_signature"
    UNKNOWN_DEVICE = "unknown_device"
    REVOKED_DEVICE = "revoked_device"
    PART_HASH_MISMATCH = "part_hash_mismatch"
    INVALID_SEALED_PART = "invalid_sealed_part"
    # Registry match: needs correction.
    ID_NUMBER_UNKNOWN = "id_number_unknown"
    FULL_NAME_MISMATCH = "full_name_mismatch"
    DATE_OF_BIRTH_MISMATCH = "date_of_birth_mismatch"
    SEX_MISMATCH = "sex_mismatch"
    # Eligibility: not of the age group the application type needs (country/age.py), or the guardian.
    AGE_NOT_14_PLUS = "age_not_14_plus"
    AGE_NOT_6_TO_13 = "age_not_6_to_13"
    AGE_NOT_UNDER_6 = "age_not_under_6"
    GUARDIAN_MISSING = "guardian_missing"
    GUARDIAN_UNKNOWN = "guardian_unknown"
    GUARDIAN_NOT_LINKED = "guardian_not_linked"
    GUARDIAN_WITHOUT_LEVEL2 = "guardian_without_level2"
    # Biometrics: the 1:N search's verdict.
    SUSPECTED_DUPLICATE = "suspected_duplicate"
    DUPLICATE = "duplicate"
    # Issue: needs correction.
    PHONE_NUMBER_TAKEN = "phone_number_taken"
