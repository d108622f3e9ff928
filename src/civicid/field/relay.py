"""The no-signal relay: pending packets on a USB stick, imported at the commune office.

Format ``civicid-relay/1``, a ZIP file::

    manifest.jws                     compact JWS (ES256, typ civicid-relay+jws, kid = device id) over
                                     {"format", "device_id", "created_at", "packets": [
                                        {"application_id", "envelope_sha256", "parts": [{"name", "sha256", "size"}]}]}
    packets/<application id>/envelope.jws
    packets/<application id>/<part name>.sealed

Parts stay sealed to the central server's key: a lost stick reveals the envelopes' demographics but
no biometrics, and a stick altered on the way fails the manifest's signature or a part's hash. The
import goes through the same intake functions as online sync, one transaction per packet, so it is
idempotent with them: importing twice, or importing and then syncing online, stores each packet once.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.core.blobs import BlobStore
from civicid.core.clock import Clock
from civicid.core.crypto import InvalidSignature, sign_jws, verify_jws
from civicid.core.crypto.signing import jws_kid
from civicid.core.errors import CivicIDError
from civicid.enrollment import devices, intake
from civicid.enrollment.intake import CHUNK_MAX_BYTES
from civicid.field.errors import InvalidRelayBundle
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, OutboxItem, OutboxPart, OutboxState

RELAY_FORMAT = "civicid-relay/1"
RELAY_JWS_TYPE = "civicid-relay+jws"
MAX_BUNDLE_BYTES = 512 * 1024 * 1024
MAX_MEMBER_BYTES = 32 * 1024 * 1024
_EXPORTABLE = (OutboxState.APPROVED_ON_DEVICE, OutboxState.UPLOADING, OutboxState.UPLOADED, OutboxState.ACCEPTED)


def write_bundle(*, kit: Kit, session: Session, clock: Clock) -> tuple[bytes, int]:
    """The relay bundle of every approved packet that still has parts on the kit; (bytes, packet count)."""
    identity = session.get(KitIdentity, 1)
    assert identity is not None  # noqa: S101 - Kit.open checked it
    entries: list[dict[str, Any]] = []
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:  # sealed bytes do not compress
        for item in session.scalars(select(OutboxItem).where(OutboxItem.state.in_(_EXPORTABLE))):
            parts = session.scalars(
                select(OutboxPart).where(
                    OutboxPart.application_id == item.application_id, OutboxPart.on_server.is_(False)
                )
            ).all()
            # A part whose sealed file the kit lost goes without it: the server asks for it at the
            # next sync, which reports the anomaly (sync.py); the bundle still carries the rest.
            parts = [p for p in parts if kit.has_sealed(item.application_id, p.name)]
            if not parts and item.state is not OutboxState.APPROVED_ON_DEVICE:
                continue
            folder = f"packets/{item.application_id}"
            archive.writestr(f"{folder}/envelope.jws", item.envelope_jws)
            for part in parts:
                archive.writestr(f"{folder}/{part.name}.sealed", kit.read_sealed(item.application_id, part.name))
            entries.append(
                {
                    "application_id": item.application_id,
                    "envelope_sha256": hashlib.sha256(item.envelope_jws.encode()).hexdigest(),
                    "parts": [{"name": p.name, "sha256": p.sha256, "size": p.size} for p in parts],
                }
            )
        manifest = {
            "format": RELAY_FORMAT,
            "device_id": identity.device_id,
            "created_at": clock.now().isoformat(),
            "packets": entries,
        }
        payload = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
        archive.writestr(
            "manifest.jws", sign_jws(payload, kit.device_key(), kid=identity.device_id, typ=RELAY_JWS_TYPE)
        )
    return out.getvalue(), len(entries)


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
    archive, manifest = _open(data, transaction)
    report = ImportReport(device_id=manifest["device_id"])
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


def _open(
    data: bytes, transaction: Callable[[], AbstractContextManager[Session]]
) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    if len(data) > MAX_BUNDLE_BYTES:
        raise InvalidRelayBundle(f"a relay bundle holds at most {MAX_BUNDLE_BYTES // 2**20} MiB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        token = _member(archive, "manifest.jws").decode("ascii")
        device_id = jws_kid(token)
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, InvalidSignature) as exc:
        raise InvalidRelayBundle("not a civicid-relay/1 bundle (no signed manifest)") from exc
    with transaction() as session:
        device = devices.active_device(session=session, device_id=device_id)
    try:
        manifest = json.loads(verify_jws(token, device.public_key(), typ=RELAY_JWS_TYPE).payload)
    except (InvalidSignature, ValueError) as exc:
        raise InvalidRelayBundle("the bundle's manifest is not signed by the device it names") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != RELAY_FORMAT
        or manifest.get("device_id") != device_id
    ):
        raise InvalidRelayBundle(f"the manifest is not a {RELAY_FORMAT} manifest of device {device_id}")
    return archive, manifest


def _import_packet(
    session: Session, clock: Clock, blobs: BlobStore, archive: zipfile.ZipFile, entry: dict[str, Any]
) -> bool:
    folder = f"packets/{entry['application_id']}"
    envelope = _member(archive, f"{folder}/envelope.jws")
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
        sealed = _member(archive, f"{folder}/{part['name']}.sealed")
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


def _member(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise InvalidRelayBundle(f"{name} is larger than a packet member can be")
        return archive.read(info)
    except KeyError as exc:
        raise InvalidRelayBundle(f"the bundle lacks {name}") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidRelayBundle(f"{name} is damaged in the bundle") from exc
