"""The field devices (kits) the server knows: their registration, keys, bearer tokens and revocation.

One owner for devices: intake asks it who signed a packet, the sync endpoint who is calling, the
campaign which kits exist. The kit's own side (its key, its set-up) lives in ``field/``.
"""
