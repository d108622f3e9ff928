"""The field kit: offline-first level-2 capture, an outbox that never loses a packet, and sync.

The kit is CivicID in another role (DESIGN.md decision 5): the same package, its own SQLite database
in its own data folder, the operator's pages on 127.0.0.1, and a sync that talks to the central
server's ``/api/v1/enrollment/intake`` and ``/api/v1/field`` endpoints whenever a signal allows.

- ``models.py``     the kit's own tables (never the server's)
- ``kit.py``        opening a kit's data folder: database, device key, sealed-part files
- ``outbox.py``     the outbox state machine (pure) and the retry schedule
- ``capture.py``    a capture becomes a sealed packet on disk before the operator sees "saved"
- ``guardrails.py`` when the kit refuses new captures, and why
- ``sync.py``       one sync: visits, packets part by part, then the down-sync
- ``relay.py``      the no-signal relay bundle (USB stick) and its import at the commune office
- ``extract.py``    the server's down-sync: what a kit may know, since its cursor
- ``router.py``     the server's ``/api/v1/field`` endpoints
"""
