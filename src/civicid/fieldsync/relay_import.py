"""Importing a relay bundle at the commune office (``civicid intake import``; format in ``protocol/relay.py``).

The import goes through the same intake functions as online sync, one transaction per packet, so it
is idempotent with them: importing twice, or importing and then syncing online, stores each packet
once. A bad packet is refused with its reason and does not stop the others.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from civicid.core.blobs import BlobStore
from civicid.core.clock import Clock
from civicid.core.errors import CivicIDError
from civicid.devices import service as devices
from civicid.enrollment import intake
from civicid.enrollment.intake import CHUNK_MAX_BYTES
from civicid.protocol.errors import InvalidRelayBundle
from civicid.protocol.relay import member, open_bundle, packet_folder, verify_manifest


@dataclass
class ImportReport:
    device_id: str
    received: list[str] = field(default_factory=list)  # new to the server
    replayed: list[str] = field(default_factory=list)  # already there: nothing stored twice
    refused: dict[str, str] = field(default_factory=dict)  # application id -> reason code


def import_bundle(
    *,
    data: bytes,
    transaction: Callable[[], AbstractContextManager[Session]],
    clock: Clock,
    blobs: BlobStore,
) -> ImportReport:
    """Import a relay bundle, one transaction per packet; a bad packet does not stop the others."""
    archive, token, device_id = open_bundle(data)
    with transaction() as session:
        device = devices.active_device(session=session, device_id=device_id)
    manifest = verify_manifest(token, device_id=device_id, key=device.public_key())
    report = ImportReport(device_id=device_id)
    for entry in manifest["packets"]:
        application_id = str(entry["application_id"])
        try:
            with transaction() as session:
                replay = _import_packet(session, clock, blobs, archive, entry)
        except CivicIDError as exc:
            report.refused[application_id] = exc.code
            continue
        (report.replayed if replay else report.received).append(application_id)
    return report


def _import_packet(
    session: Session, clock: Clock, blobs: BlobStore, archive: zipfile.ZipFile, entry: dict[str, Any]
) -> bool:
    folder = packet_folder(entry["application_id"])
    envelope = member(archive, f"{folder}/envelope.jws")
    if hashlib.sha256(envelope).hexdigest() != entry["envelope_sha256"]:
        raise InvalidRelayBundle("an envelope differs from the one the manifest signed")
    receipt = intake.receive_envelope(
        session=session,
        clock=clock,
        blobs=blobs,
        envelope_jws=envelope.decode("ascii"),
        application_id=entry["application_id"],
    )
    held = {p.name for p in receipt.parts if p.complete}
    for part in entry["parts"]:
        if part["name"] in held:
            continue
        sealed = member(archive, f"{folder}/{part['name']}.sealed")
        if hashlib.sha256(sealed).hexdigest() != part["sha256"]:
            raise InvalidRelayBundle(f"part {part['name']} differs from the one the manifest signed")
        for offset, chunk in _chunks(sealed):
            intake.receive_chunk(
                session=session,
                clock=clock,
                blobs=blobs,
                application_id=entry["application_id"],
                part_name=part["name"],
                offset=offset,
                data=chunk,
                sha256=hashlib.sha256(chunk).hexdigest(),
            )
    return receipt.replay


def _chunks(data: bytes) -> Iterator[tuple[int, bytes]]:
    for offset in range(0, len(data), CHUNK_MAX_BYTES):
        yield offset, data[offset : offset + CHUNK_MAX_BYTES]
