"""idp: the OpenID Connect provider's clients, sessions, codes, tokens and consents

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idp_client",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("max_level", sa.Integer(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("id_token_alg", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_idp_client")),
    )
    op.create_table(
        "idp_authorization_code",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("nonce", sa.String(length=200), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("family", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["eid_account.id"], name=op.f("fk_idp_authorization_code_account_id_eid_account")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["idp_client.client_id"], name=op.f("fk_idp_authorization_code_client_id_idp_client")
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_idp_authorization_code")),
    )
    op.create_index(
        op.f("ix_idp_authorization_code_account_id"), "idp_authorization_code", ["account_id"], unique=False
    )
    op.create_index(op.f("ix_idp_authorization_code_client_id"), "idp_authorization_code", ["client_id"], unique=False)
    op.create_table(
        "idp_consent",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["eid_account.id"], name=op.f("fk_idp_consent_account_id_eid_account")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["idp_client.client_id"], name=op.f("fk_idp_consent_client_id_idp_client")
        ),
        sa.PrimaryKeyConstraint("account_id", "client_id", name=op.f("pk_idp_consent")),
    )
    op.create_table(
        "idp_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_hash", sa.String(length=200), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("code_attempts", sa.Integer(), nullable=False),
        sa.Column("codes_sent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["eid_account.id"], name=op.f("fk_idp_session_account_id_eid_account")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_idp_session")),
    )
    op.create_index(op.f("ix_idp_session_account_id"), "idp_session", ["account_id"], unique=False)
    op.create_table(
        "idp_token",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("access", "refresh", name="tokenkind", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("family", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("amr", sa.JSON(), nullable=False),
        sa.Column("auth_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["eid_account.id"], name=op.f("fk_idp_token_account_id_eid_account")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["idp_client.client_id"], name=op.f("fk_idp_token_client_id_idp_client")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_idp_token")),
    )
    op.create_index(op.f("ix_idp_token_account_id"), "idp_token", ["account_id"], unique=False)
    op.create_index(op.f("ix_idp_token_client_id"), "idp_token", ["client_id"], unique=False)
    op.create_index(op.f("ix_idp_token_family"), "idp_token", ["family"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_idp_token_family"), table_name="idp_token")
    op.drop_index(op.f("ix_idp_token_client_id"), table_name="idp_token")
    op.drop_index(op.f("ix_idp_token_account_id"), table_name="idp_token")
    op.drop_table("idp_token")
    op.drop_index(op.f("ix_idp_session_account_id"), table_name="idp_session")
    op.drop_table("idp_session")
    op.drop_table("idp_consent")
    op.drop_index(op.f("ix_idp_authorization_code_client_id"), table_name="idp_authorization_code")
    op.drop_index(op.f("ix_idp_authorization_code_account_id"), table_name="idp_authorization_code")
    op.drop_table("idp_authorization_code")
    op.drop_table("idp_client")
