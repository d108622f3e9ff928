"""Writing the no-signal relay bundle on the kit (format ``civicid-relay/1``, ``protocol/relay.py``).

``civicid field export`` puts every approved packet that still has parts on the kit on a USB stick,
signed by the device key; nothing leaves the outbox until the server says it holds it.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, OutboxItem, OutboxPart, OutboxState
from civicid.protocol.relay import MANIFEST, RELAY_FORMAT, packet_folder, sign_manifest

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
            folder = packet_folder(item.application_id)
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
        archive.writestr(MANIFEST, sign_manifest(manifest, kit.device_key(), device_id=identity.device_id))
    return out.getvalue(), len(entries)
