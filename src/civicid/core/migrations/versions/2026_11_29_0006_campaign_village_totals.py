"""campaign per-village totals beside the per-day cells

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Activated level-2 accounts by the holder's village (decision 0016), kept in the transaction that
# activates, deactivates, re-levels or deletes an account, or moves its holder to another village.
# A row is added at 0 before it is incremented, the one upsert both databases accept in a trigger.
_ADD = (
    "INSERT INTO campaign_activation_total (village_id, n) SELECT village_id, 0 FROM person WHERE id = {person} "
    "ON CONFLICT (village_id) DO NOTHING; "
    "UPDATE campaign_activation_total SET n = n + 1 "
    "WHERE village_id = (SELECT village_id FROM person WHERE id = {person}); "
)
_TAKE = (
    "UPDATE campaign_activation_total SET n = n - 1 "
    "WHERE village_id = (SELECT village_id FROM person WHERE id = {person}); "
)
_COUNTED = "{row}.activated_at IS NOT NULL AND {row}.level = 2"
_HOLDS_ACTIVATED = (
    "EXISTS (SELECT 1 FROM eid_account WHERE person_id = NEW.id AND activated_at IS NOT NULL AND level = 2)"
)
_MOVE = (
    "UPDATE campaign_activation_total SET n = n - 1 WHERE village_id = OLD.village_id; "
    "INSERT INTO campaign_activation_total (village_id, n) VALUES (NEW.village_id, 0) "
    "ON CONFLICT (village_id) DO NOTHING; "
    "UPDATE campaign_activation_total SET n = n + 1 WHERE village_id = NEW.village_id; "
)
# The "no card" blocker (decision 0016): one row per resident with the first day they are 14 or
# over without a valid card; recounted for a person whenever their row or one of their cards changes.
# The 14th birthday follows country/age.py: 1 March for 29 February in a common year.
_BIRTHDAY_14 = {
    True: "CASE WHEN to_char(p.date_of_birth, 'MM-DD') = '02-29' "
    "THEN CAST(p.date_of_birth + interval '14 years' AS DATE) + 1 "
    "ELSE CAST(p.date_of_birth + interval '14 years' AS DATE) END",
    False: "date(p.date_of_birth, '+14 years')",
}
_LAST_EXPIRY_PLUS_ONE = {True: "max(c.expiry_date) + 1", False: "date(max(c.expiry_date), '+1 day')"}
_GREATEST = {True: "GREATEST", False: "max"}


def _card_gaps(postgresql: bool, person: str, insert: str) -> str:
    """``insert`` + the card-gap rows of every resident (``person`` empty) or of ``person``."""
    birthday = _BIRTHDAY_14[postgresql]
    # Every part is a constant of this module or a trigger's row reference: no input reaches it.
    return (
        f"{insert}SELECT p.id, p.village_id, {_GREATEST[postgresql]}({birthday}, coalesce(("  # noqa: S608
        f"SELECT {_LAST_EXPIRY_PLUS_ONE[postgresql]} FROM id_card c WHERE c.person_id = p.id AND c.status = 'valid'"
        f"), {birthday})) FROM person p WHERE p.residence_status IN ('present', 'working_away') "
        "AND NOT EXISTS (SELECT 1 FROM id_card c WHERE c.person_id = p.id AND c.status = 'valid' "
        f"AND c.expiry_date IS NULL){f' AND p.id = {person}' if person else ''}"
    )


def _recount(postgresql: bool, person: str) -> str:
    return (
        f"DELETE FROM campaign_card_gap WHERE person_id = {person}; "  # noqa: S608 - as in _card_gaps
        + _card_gaps(postgresql, person, "INSERT INTO campaign_card_gap (person_id, village_id, blocked_from) ")
        + "; "
    )


POSTGRESQL_TRIGGER_NAMES = (
    ("eid_account", "campaign_count_activation"),
    ("person", "campaign_move_activation"),
    ("person", "campaign_card_gap_person"),
    ("id_card", "campaign_card_gap_card"),
)
POSTGRESQL_TRIGGERS = (
    "CREATE FUNCTION campaign_count_activation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' AND {_COUNTED.format(row='OLD')} THEN {_TAKE.format(person='OLD.person_id')}END IF; "
    f"IF TG_OP <> 'DELETE' AND {_COUNTED.format(row='NEW')} THEN {_ADD.format(person='NEW.person_id')}END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER campaign_count_activation AFTER INSERT OR DELETE OR UPDATE OF activated_at, level, person_id "
    "ON eid_account FOR EACH ROW EXECUTE FUNCTION campaign_count_activation()",
    "CREATE FUNCTION campaign_move_activation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF {_HOLDS_ACTIVATED} THEN {_MOVE}END IF; RETURN NULL; END $$",
    "CREATE TRIGGER campaign_move_activation AFTER UPDATE OF village_id ON person FOR EACH ROW "
    "WHEN (OLD.village_id IS DISTINCT FROM NEW.village_id) EXECUTE FUNCTION campaign_move_activation()",
    "CREATE FUNCTION campaign_recount_card_gap(person integer) RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
    f"{_recount(True, 'campaign_recount_card_gap.person')}END $$",
    "CREATE FUNCTION campaign_card_gap_person() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'DELETE' THEN DELETE FROM campaign_card_gap WHERE person_id = OLD.id; "
    "ELSE PERFORM campaign_recount_card_gap(NEW.id); END IF; RETURN NULL; END $$",
    "CREATE TRIGGER campaign_card_gap_person AFTER INSERT OR DELETE OR "
    "UPDATE OF village_id, date_of_birth, residence_status ON person "
    "FOR EACH ROW EXECUTE FUNCTION campaign_card_gap_person()",
    "CREATE FUNCTION campaign_card_gap_card() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP <> 'INSERT' THEN PERFORM campaign_recount_card_gap(OLD.person_id); END IF; "
    "IF TG_OP <> 'DELETE' THEN PERFORM campaign_recount_card_gap(NEW.person_id); END IF; RETURN NULL; END $$",
    "CREATE TRIGGER campaign_card_gap_card AFTER INSERT OR DELETE OR UPDATE OF person_id, status, expiry_date "
    "ON id_card FOR EACH ROW EXECUTE FUNCTION campaign_card_gap_card()",
)
SQLITE_TRIGGER_NAMES = (
    ("eid_account", "campaign_activation_insert"),
    ("eid_account", "campaign_activation_delete"),
    ("eid_account", "campaign_activation_update_old"),
    ("eid_account", "campaign_activation_update_new"),
    ("person", "campaign_activation_move"),
    ("person", "campaign_card_gap_person_insert"),
    ("person", "campaign_card_gap_person_update"),
    ("person", "campaign_card_gap_person_delete"),
    ("id_card", "campaign_card_gap_card_insert"),
    ("id_card", "campaign_card_gap_card_update"),
    ("id_card", "campaign_card_gap_card_delete"),
)
_ACCOUNT_CHANGE = "UPDATE OF activated_at, level, person_id ON eid_account"
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER campaign_activation_insert AFTER INSERT ON eid_account WHEN {_COUNTED.format(row='NEW')} "
    f"BEGIN {_ADD.format(person='NEW.person_id')}END",
    f"CREATE TRIGGER campaign_activation_delete AFTER DELETE ON eid_account WHEN {_COUNTED.format(row='OLD')} "
    f"BEGIN {_TAKE.format(person='OLD.person_id')}END",
    # Old before new: an update that keeps the account counted takes it out, then puts it back.
    f"CREATE TRIGGER campaign_activation_update_old BEFORE {_ACCOUNT_CHANGE} WHEN {_COUNTED.format(row='OLD')} "
    f"BEGIN {_TAKE.format(person='OLD.person_id')}END",
    f"CREATE TRIGGER campaign_activation_update_new AFTER {_ACCOUNT_CHANGE} WHEN {_COUNTED.format(row='NEW')} "
    f"BEGIN {_ADD.format(person='NEW.person_id')}END",
    "CREATE TRIGGER campaign_activation_move AFTER UPDATE OF village_id ON person "
    f"WHEN OLD.village_id IS NOT NEW.village_id AND {_HOLDS_ACTIVATED} BEGIN {_MOVE}END",
    f"CREATE TRIGGER campaign_card_gap_person_insert AFTER INSERT ON person BEGIN {_recount(False, 'NEW.id')}END",
    "CREATE TRIGGER campaign_card_gap_person_update AFTER UPDATE OF village_id, date_of_birth, residence_status "
    f"ON person BEGIN {_recount(False, 'NEW.id')}END",
    "CREATE TRIGGER campaign_card_gap_person_delete AFTER DELETE ON person "
    "BEGIN DELETE FROM campaign_card_gap WHERE person_id = OLD.id; END",
    f"CREATE TRIGGER campaign_card_gap_card_insert AFTER INSERT ON id_card BEGIN {_recount(False, 'NEW.person_id')}END",
    "CREATE TRIGGER campaign_card_gap_card_update AFTER UPDATE OF person_id, status, expiry_date ON id_card "
    f"BEGIN {_recount(False, 'OLD.person_id')}{_recount(False, 'NEW.person_id')}END",
    f"CREATE TRIGGER campaign_card_gap_card_delete AFTER DELETE ON id_card BEGIN {_recount(False, 'OLD.person_id')}END",
)


def upgrade() -> None:
    op.create_table(
        "campaign_application_total",
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("application_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("decided", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "commune_code",
            "village_id",
            "application_type",
            "status",
            "decided",
            name=op.f("pk_campaign_application_total"),
        ),
    )
    op.create_table(
        "campaign_visit_total",
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("village_id", "outcome", name=op.f("pk_campaign_visit_total")),
    )
    op.create_table(
        "campaign_activation_total",
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("village_id", name=op.f("pk_campaign_activation_total")),
    )
    op.create_table(
        "campaign_card_gap",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("blocked_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_campaign_card_gap")),
    )
    op.create_index(
        "ix_campaign_visit_cell_households",
        "campaign_visit_cell",
        ["village_id", "day"],
        unique=False,
        postgresql_include=["n"],
        postgresql_where=sa.text("measure = 'households'"),
        sqlite_where=sa.text("measure = 'households'"),
    )
    op.create_index("ix_campaign_card_gap_village", "campaign_card_gap", ["village_id", "blocked_from"], unique=False)
    # The totals are the cells summed over kits and days: a tally already built (mark >= 0) gets
    # its totals here; one not built yet gets them from its first refresh, with its cells.
    op.execute(
        "INSERT INTO campaign_application_total (commune_code, village_id, application_type, status, decided, n) "
        "SELECT commune_code, village_id, application_type, status, decided, sum(n) "
        "FROM campaign_application_cell GROUP BY commune_code, village_id, application_type, status, decided"
    )
    op.execute(
        "INSERT INTO campaign_activation_total (village_id, n) "
        "SELECT p.village_id, count(*) FROM eid_account a JOIN person p ON p.id = a.person_id "
        "WHERE a.activated_at IS NOT NULL AND a.level = 2 GROUP BY p.village_id"
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(_card_gaps(postgresql, "", "INSERT INTO campaign_card_gap (person_id, village_id, blocked_from) "))
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)
    op.execute(
        "INSERT INTO campaign_visit_total (village_id, outcome, n) "
        "SELECT village_id, measure, sum(n) FROM campaign_visit_cell WHERE measure <> 'households' "
        "GROUP BY village_id, measure"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name in POSTGRESQL_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        op.execute("DROP FUNCTION campaign_recount_card_gap(integer)")
    else:
        for _table, name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_index("ix_campaign_card_gap_village", table_name="campaign_card_gap")
    op.drop_index("ix_campaign_visit_cell_households", table_name="campaign_visit_cell")
    op.drop_table("campaign_card_gap")
    op.drop_table("campaign_activation_total")
    op.drop_table("campaign_visit_total")
    op.drop_table("campaign_application_total")
