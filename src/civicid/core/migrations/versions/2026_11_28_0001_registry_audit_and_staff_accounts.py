"""registry, audit and staff accounts

Also creates, on PostgreSQL, ``civicid_audit_append``: the audit chain's append in one round trip
(see core/audit.py and docs/decisions/0002-audit-chain-appends.md).

Revision ID: 0001
Revises:
Create Date: 2026-11-28 23:36:06.755875
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


AUDIT_APPEND = """
CREATE FUNCTION civicid_audit_append(
    p_at timestamptz, p_actor varchar, p_action varchar, p_subject_type varchar, p_subject_id varchar,
    p_details json, p_digest varchar
) RETURNS TABLE (out_seq bigint, out_prev varchar, out_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_prev varchar;
BEGIN
    -- The lock first (any constant key works: it names the chain's one lock); each statement after
    -- it takes a new snapshot, so it sees the true last entry.
    PERFORM pg_advisory_xact_lock(202219729);
    SELECT a.entry_hash INTO v_prev FROM audit_entry a ORDER BY a.seq DESC LIMIT 1;
    v_prev := coalesce(v_prev, repeat('0', 64));
    RETURN QUERY
        INSERT INTO audit_entry AS a (at, actor, action, subject_type, subject_id, details, prev_hash, entry_hash)
        VALUES (p_at, p_actor, p_action, p_subject_type, p_subject_id, p_details, v_prev,
                encode(sha256(convert_to(v_prev || p_digest, 'UTF8')), 'hex'))
        RETURNING a.seq, a.prev_hash, a.entry_hash;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entry")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_audit_entry_entry_hash")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "commune",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("province_name", sa.String(length=120), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_commune")),
    )
    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_commune_province_code"), ["province_code"], unique=False)

    op.create_table(
        "staff_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "supervisor",
                "operator",
                "committee",
                name="staffrole",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_account")),
        sa.UniqueConstraint("username", name=op.f("uq_staff_account_username")),
    )
    with op.batch_alter_table("staff_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_account_commune_code"), ["commune_code"], unique=False)

    op.create_table(
        "staff_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["staff_account.id"], name=op.f("fk_staff_session_account_id_staff_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_session_token_hash")),
    )
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_session_account_id"), ["account_id"], unique=False)

    op.create_table(
        "village",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column(
            "signal",
            sa.Enum("none", "weak", "good", name="signalquality", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["commune_code"], ["commune.code"], name=op.f("fk_village_commune_code_commune")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village")),
        sa.UniqueConstraint("commune_code", "name", name=op.f("uq_village_commune_code_name")),
    )
    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_village_commune_code"), ["commune_code"], unique=False)

    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"], name=op.f("fk_household_village_id_village")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("village_id", "number", name=op.f("uq_household_village_id_number")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_household_village_id"), ["village_id"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(length=12), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column(
            "name_folded",
            sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.Enum("M", "F", name="sex", native_enum=False, create_constraint=True), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("has_smartphone", sa.Boolean(), nullable=False),
        sa.Column(
            "residence_status",
            sa.Enum(
                "present",
                "working_away",
                "moved",
                "deceased",
                name="residencestatus",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("relation_to_head", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"], name=op.f("fk_person_household_id_household")),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"], name=op.f("fk_person_village_id_village")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("id_number", name=op.f("uq_person_id_number")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_household_id"), ["household_id"], unique=False)
        batch_op.create_index("ix_person_name_folded", ["name_folded", "id"], unique=False)
        batch_op.create_index("ix_person_village_name", ["village_id", "name_folded", "id"], unique=False)

    op.create_table(
        "guardian_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("relationship", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["person.id"], name=op.f("fk_guardian_link_child_id_person")),
        sa.ForeignKeyConstraint(["guardian_id"], ["person.id"], name=op.f("fk_guardian_link_guardian_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guardian_link")),
        sa.UniqueConstraint("child_id", "guardian_id", name=op.f("uq_guardian_link_child_id_guardian_id")),
    )
    with op.batch_alter_table("guardian_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guardian_link_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_guardian_link_guardian_id"), ["guardian_id"], unique=False)

    op.create_table(
        "id_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "valid", "expired", "revoked", "lost", name="cardstatus", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_id_card_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_id_card")),
    )
    with op.batch_alter_table("id_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_id_card_number"), ["number"], unique=False)
        batch_op.create_index(batch_op.f("ix_id_card_person_id"), ["person_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(AUDIT_APPEND)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION civicid_audit_append")
    with op.batch_alter_table("id_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_id_card_person_id"))
        batch_op.drop_index(batch_op.f("ix_id_card_number"))

    op.drop_table("id_card")
    with op.batch_alter_table("guardian_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guardian_link_guardian_id"))
        batch_op.drop_index(batch_op.f("ix_guardian_link_child_id"))

    op.drop_table("guardian_link")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_village_name")
        batch_op.drop_index("ix_person_name_folded")
        batch_op.drop_index(batch_op.f("ix_person_household_id"))

    op.drop_table("person")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_household_village_id"))

    op.drop_table("household")
    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_village_commune_code"))

    op.drop_table("village")
    with op.batch_alter_table("staff_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_session_account_id"))

    op.drop_table("staff_session")
    with op.batch_alter_table("staff_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_account_commune_code"))

    op.drop_table("staff_account")
    with op.batch_alter_table("commune", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_commune_province_code"))

    op.drop_table("commune")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_subject_id"))

    op.drop_table("audit_entry")
