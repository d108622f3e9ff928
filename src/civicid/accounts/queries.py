"""The accounts' reads for other capabilities: named, set-based, without the accounts' models.

Other folders never import ``accounts.models`` (an import-linter contract, decision 0035).
"""

from __future__ import annotations

from sqlalchemy import TableClause

from civicid.accounts.models import EidAccount
from civicid.core.database import read_only_projection

#: e-ID accounts, read-only, with only the columns another capability may read:
#: ``campaign.tally.rebuild_activations`` counts activated level-2 accounts by the holder's village,
#: one INSERT … SELECT joining persons (the repair of the triggers' tally, decision 0016). Same table
#: name, same column types: the SQL is the table's own, and so are the indexes that serve it.
eid_accounts: TableClause = read_only_projection(EidAccount, "person_id", "level", "activated_at")

__all__ = ["eid_accounts"]
