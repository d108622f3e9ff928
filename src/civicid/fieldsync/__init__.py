"""The server's side of the field kits' sync: the sync endpoint, the extract it sends down, relay bundles.

The kit's side lives in ``field/``; what both say on the wire lives in ``protocol/``. This folder
composes the capabilities a sync touches (devices, enrollment, campaign, registry) and owns no table.
"""
