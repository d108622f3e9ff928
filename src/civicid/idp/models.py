"""The provider's tables: relying parties, sign-in sessions, codes and tokens (hashed), consents.

Every code and token is stored as its SHA-256 only (the value itself goes to the client once). Tokens
issued from one code exchange share a ``family``: a refresh token presented twice, or a code
exchanged twice, revokes the whole family (RFC 9700 §4.14.2, RFC 6749 §4.1.2).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum


class IdpClient(Base):
    """A relying party (a public service) an administrator registered with ``civicid idp add-client``."""

    __tablename__ = "idp_client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # SHA-256 of a 256-bit secret the server generated (high entropy: no password hashing needed);
    # NULL for a public client, which authenticates with PKCE alone.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    # The highest level of assurance the service may ask for (1 or 2).
    max_level: Mapped[int] = mapped_column(Integer)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    id_token_alg: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class IdpSession(Base):
    """A citizen signed in at the provider in one browser: the level reached and how (``amr``).

    ``level`` 0 means the password is not checked yet; a pending SMS code (step-up to level 2) sits here too.
    """

    __tablename__ = "idp_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    amr: Mapped[list[str]] = mapped_column(JSON)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    code_hash: Mapped[str | None] = mapped_column(String(200))
    code_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    codes_sent: Mapped[int] = mapped_column(Integer, default=0)


class IdpAuthorizationCode(Base):
    """An authorization code: single-use, short-lived, bound to the PKCE challenge and the nonce."""

    __tablename__ = "idp_authorization_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("idp_client.client_id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str | None] = mapped_column(String(200))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    level: Mapped[int] = mapped_column(Integer)
    amr: Mapped[list[str]] = mapped_column(JSON)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The family of the tokens its exchange issued: revoked if the code comes back (RFC 6749 §4.1.2).
    family: Mapped[str | None] = mapped_column(String(36))


class TokenKind(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class IdpToken(Base):
    """An access or refresh token; a refresh token is used once (rotation), and its reuse revokes the family."""

    __tablename__ = "idp_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[TokenKind] = mapped_column(str_enum(TokenKind))
    family: Mapped[str] = mapped_column(String(36), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("idp_client.client_id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), index=True)
    scope: Mapped[str] = mapped_column(String(500))
    level: Mapped[int] = mapped_column(Integer)
    amr: Mapped[list[str]] = mapped_column(JSON)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class IdpConsent(Base):
    """What a citizen agreed a service may receive: the scopes, per client."""

    __tablename__ = "idp_consent"

    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("idp_client.client_id"), primary_key=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
