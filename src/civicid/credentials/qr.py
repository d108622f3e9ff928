"""The compact QR profile ``qr-v1`` (docs/formats/qr-v1.md): COSE_Sign1 → zlib → Base45, with a prefix.

- The e-ID profiles (``eid``, ``eid-min``) are MOSIP Claim 169 QR codes exactly: Base45 of the
  zlib-compressed (RFC 1950) COSE_Sign1, no prefix, so that MOSIP's verifiers and the ``claim169``
  library read them as they are (decision 0041).
- Every other profile is ``CID1:`` followed by the same encoding: the prefix names the format and
  its version, and keeps a CivicID document from being taken for an identity card.

Everything in a QR text is in the alphanumeric mode's alphabet (Base45's), the densest mode for it:
each profile fits QR version 20 at error correction M (the tests and ``bench`` measure it).
Decompression is capped (:data:`MAX_DECOMPRESSED`): a small QR cannot inflate into a large buffer.
"""

from __future__ import annotations

import io
import zlib

import segno

from civicid.credentials.base45 import b45decode, b45encode

PREFIX = "CID1:"
MAX_TEXT = 4296  # the alphanumeric capacity of QR version 40 at L: no QR holds more
MAX_DECOMPRESSED = 16 * 1024
MAX_VERSION = 20
ERROR_CORRECTION = "M"


class Unreadable(ValueError):
    """The text is not a ``qr-v1`` QR: not Base45, not zlib, or too large once inflated."""


def encode_text(cose: bytes, *, prefixed: bool) -> str:
    """The QR text of a COSE_Sign1: zlib at level 9 (RFC 1950), Base45 (RFC 9285), the prefix if ``prefixed``."""
    text = b45encode(zlib.compress(cose, 9))
    return PREFIX + text if prefixed else text


def decode_text(text: str) -> tuple[bytes, bool]:
    """(the COSE_Sign1, whether the text was prefixed); :class:`Unreadable` for anything else."""
    text = text.strip()
    prefixed = text.startswith(PREFIX)
    if prefixed:
        text = text[len(PREFIX) :]
    if not text or len(text) > MAX_TEXT:
        raise Unreadable("empty or longer than any QR code")
    try:
        compressed = b45decode(text)
        inflater = zlib.decompressobj()
        cose = inflater.decompress(compressed, MAX_DECOMPRESSED)
    except (ValueError, zlib.error) as exc:
        raise Unreadable("not Base45 of zlib data") from exc
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise Unreadable("truncated, trailing data, or larger than the profile allows")
    return cose, prefixed


def version(text: str) -> int:
    """The smallest QR version that holds ``text`` at error correction M (segno picks the alphanumeric mode)."""
    return int(segno.make_qr(text, error=ERROR_CORRECTION, boost_error=False).version)


def png(text: str, *, scale: int = 4, border: int = 4) -> bytes:
    """The QR code as a PNG, with the four-module quiet zone scanners need (ISO/IEC 18004 §6.3.8)."""
    out = io.BytesIO()
    segno.make_qr(text, error=ERROR_CORRECTION, boost_error=False).save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def svg(text: str, *, scale: int = 4) -> str:
    """The QR code as an SVG document (what the app draws; it scales without blur)."""
    out = io.BytesIO()
    qr = segno.make_qr(text, error=ERROR_CORRECTION, boost_error=False)
    qr.save(out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, nl=False)
    return out.getvalue().decode("utf-8")
