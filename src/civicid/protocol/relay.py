"""The no-signal relay bundle ``civicid-relay/1``: pending packets on a USB stick, for the commune office.

A ZIP file::

    manifest.jws                     compact JWS (ES256, typ civicid-relay+jws, kid = device id) over
                                     {"format", "device_id", "created_at", "packets": [
                                        {"application_id", "envelope_sha256", "parts": [{"name", "sha256", "size"}]}]}
    packets/<application id>/envelope.jws
    packets/<application id>/<part name>.sealed

Parts stay sealed to the central server's key: a lost stick reveals the envelopes' demographics but
no biometrics, and a stick altered on the way fails the manifest's signature or a part's hash. The
kit writes bundles (``field/relay.py``), the server imports them (``fieldsync/relay_import.py``);
this module holds what both must agree on: the names, the limits and the signed manifest.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey, EllipticCurvePublicKey

from civicid.core.crypto import InvalidSignature, sign_jws, verify_jws
from civicid.core.crypto.signing import jws_kid
from civicid.protocol.errors import InvalidRelayBundle

RELAY_FORMAT = "civicid-relay/1"
RELAY_JWS_TYPE = "civicid-relay+jws"
MANIFEST = "manifest.jws"
MAX_BUNDLE_BYTES = 512 * 1024 * 1024
MAX_MEMBER_BYTES = 32 * 1024 * 1024


def packet_folder(application_id: str) -> str:
    return f"packets/{application_id}"


def sign_manifest(manifest: dict[str, Any], key: EllipticCurvePrivateKey, *, device_id: str) -> str:
    """The manifest as the bundle carries it: compact JWS over sorted, compact JSON."""
    payload = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
    return sign_jws(payload, key, kid=device_id, typ=RELAY_JWS_TYPE)


def open_bundle(data: bytes) -> tuple[zipfile.ZipFile, str, str]:
    """(the archive, its signed manifest, the device the manifest names): nothing is trusted yet."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise InvalidRelayBundle(f"a relay bundle holds at most {MAX_BUNDLE_BYTES // 2**20} MiB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        token = member(archive, MANIFEST).decode("ascii")
        return archive, token, jws_kid(token)
    except (zipfile.BadZipFile, UnicodeDecodeError, InvalidSignature, InvalidRelayBundle) as exc:
        raise InvalidRelayBundle(f"not a {RELAY_FORMAT} bundle (no signed manifest)") from exc


def verify_manifest(token: str, *, device_id: str, key: EllipticCurvePublicKey) -> dict[str, Any]:
    """The manifest, once its signature verifies with the key of the device it names."""
    try:
        manifest = json.loads(verify_jws(token, key, typ=RELAY_JWS_TYPE).payload)
    except (InvalidSignature, ValueError) as exc:
        raise InvalidRelayBundle("the bundle's manifest is not signed by the device it names") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != RELAY_FORMAT
        or manifest.get("device_id") != device_id
    ):
        raise InvalidRelayBundle(f"the manifest is not a {RELAY_FORMAT} manifest of device {device_id}")
    return manifest


def member(archive: zipfile.ZipFile, name: str) -> bytes:
    """One member's bytes, within :data:`MAX_MEMBER_BYTES`."""
    try:
        info = archive.getinfo(name)
        if info.file_size > MAX_MEMBER_BYTES:
            raise InvalidRelayBundle(f"{name} is larger than a packet member can be")
        return archive.read(info)
    except KeyError as exc:
        raise InvalidRelayBundle(f"the bundle lacks {name}") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidRelayBundle(f"{name} is damaged in the bundle") from exc
