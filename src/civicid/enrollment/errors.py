"""Errors of enrollment: intake and the pipeline (packets: protocol/errors.py; devices: devices/errors.py)."""

from __future__ import annotations

from civicid.core.errors import Conflict, Forbidden, InvalidInput, NotFound

# Intake -----------------------------------------------------------------------------------------


class DifferentPacket(Conflict):
    code = "different_packet"
    title = "Another packet was already received under this application id"


class ApplicationIdMismatch(InvalidInput):
    code = "application_id_mismatch"
    title = "The envelope names another application"


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    title = "No such application"


class ChunkChecksumMismatch(InvalidInput):
    code = "chunk_checksum_mismatch"
    title = "The chunk's bytes do not match its checksum"


class ChunkOutOfRange(InvalidInput):
    code = "chunk_out_of_range"
    title = "The chunk does not fit the part"


class PartAlreadyComplete(Conflict):
    code = "part_already_complete"
    title = "The part is complete and can no longer change"


# Decisions --------------------------------------------------------------------------------------


class NotAwaitingDecision(Conflict):
    code = "not_awaiting_decision"
    title = "The application is not waiting for this decision"


class MakerCheckerViolation(Forbidden):
    code = "maker_checker_violation"
    title = "Whoever captured an application cannot decide on it"
