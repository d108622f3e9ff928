"""Verifiable credentials: the compact QR profile (``qr-v1``), SD-JWT VC, Token Status Lists, the
verifiers' trust bundle, issuer keys and their rotation, and the verifier every reader uses.

See docs/formats/qr-v1.md and docs/decisions/0041 to 0043.
"""
