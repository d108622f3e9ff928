"""The wire formats a field kit and the server share: packets, sync, relay bundles, device tokens, codes.

Both sides import this package and nothing of each other (docs/architecture.md): a kit is built
from ``field/`` and ``protocol/``, the server from everything else.
"""
