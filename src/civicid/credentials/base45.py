"""Base45 (RFC 9285): bytes as characters of the QR code's alphanumeric mode.

RFC 9285 §4: every two bytes ``[a, b]`` make ``n = a * 256 + b``, written as three characters
``c d e`` with ``n = c + d * 45 + e * 45²``; a last single byte makes two characters. Decoding is
strict (§4.3): a character outside the alphabet, a triple above 65535, a pair above 255 or a length
of the form 3k + 1 is refused with ``ValueError``.

Decoding is vectorised with numpy: it runs on every offline verification, next to one ECDSA check.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_INVALID = 255
_DECODE = bytes(ALPHABET.index(chr(c)) if chr(c) in ALPHABET else _INVALID for c in range(256))
_WEIGHTS = np.array([1, 45, 45 * 45], dtype=np.uint32)


def b45encode(data: bytes) -> str:
    """RFC 9285 §4.1 and §4.2."""
    out: list[str] = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += (ALPHABET[c], ALPHABET[d], ALPHABET[e])
    if len(data) % 2:
        e, c = divmod(data[-1], 45)
        out += (ALPHABET[c], ALPHABET[e])
    return "".join(out)


def b45decode(text: str) -> bytes:
    """RFC 9285 §4.3; ``ValueError`` for anything that is not Base45."""
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError("not Base45: a character outside the alphabet") from None
    values = raw.translate(_DECODE)
    if _INVALID in values:
        raise ValueError("not Base45: a character outside the alphabet")
    whole, rest = divmod(len(values), 3)
    if rest == 1:
        raise ValueError("not Base45: impossible length")
    triples = np.frombuffer(values, dtype=np.uint8, count=whole * 3).reshape(-1, 3) @ _WEIGHTS
    if whole and int(triples.max()) > 0xFFFF:
        raise ValueError("not Base45: a triple above 65535")
    out = triples.astype(">u2").tobytes()
    if rest == 2:
        last = values[-2] + values[-1] * 45
        if last > 0xFF:
            raise ValueError("not Base45: a pair above 255")
        out += bytes([last])
    return out
