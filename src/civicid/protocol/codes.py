"""Codes that travel between the kit and the server: what a visit ended with, where an application stands.

They are part of the wire format (``civicid-field-sync/1``, ``civicid-relay/1``): a value is never
renamed, only added, and a kit that meets a value it does not know keeps what it had.
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
