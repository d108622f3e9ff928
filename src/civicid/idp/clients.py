"""Relying parties: registered by an administrator (``civicid idp add-client``) with the redirect URIs
they may use and the highest level they may ask for; removed ones stop working at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.idp.errors import ClientNotFound, InvalidClientInput
from civicid.idp.hashing import digest
from civicid.idp.keys import ALGORITHMS, DEFAULT_ALG
from civicid.idp.levels import LEVELS
from civicid.idp.models import IdpClient, IdpToken
from civicid.idp.scopes import SCOPES

NAME_MAX = 120
URI_MAX = 500
CLIENT_ID_BYTES = 12
SECRET_BYTES = 32


@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    name: str
    public: bool
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    max_level: int
    scopes: tuple[str, ...]
    id_token_alg: str
    secret_hash: str | None = None


@dataclass(frozen=True)
class Registered:
    """A new client: its id and, for a confidential one, the secret, shown this once and never stored."""

    client: ClientRecord
    client_secret: str | None


def add_client(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str] | None = None,
    max_level: int = 2,
    scopes: list[str] | None = None,
    public: bool = False,
    id_token_alg: str = DEFAULT_ALG,
    client_id: str | None = None,
) -> Registered:
    """Register a relying party; the secret (confidential clients) is returned once, only its SHA-256 kept."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise InvalidClientInput(f"a name has 1 to {NAME_MAX} printable characters", field="name")
    if not redirect_uris:
        raise InvalidClientInput("a client needs at least one redirect URI", field="redirect_uri")
    uris = [_redirect_uri(u) for u in redirect_uris]
    logout_uris = [_redirect_uri(u) for u in post_logout_redirect_uris or []]
    if max_level not in LEVELS:
        raise InvalidClientInput(f"the highest level is one of {LEVELS}", field="max_level")
    chosen = scopes if scopes is not None else list(SCOPES)
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or "openid" not in chosen:
        raise InvalidClientInput(f"scopes are among {', '.join(SCOPES)} and include openid", field="scopes")
    if id_token_alg not in ALGORITHMS:
        raise InvalidClientInput(f"ID tokens are signed with {' or '.join(ALGORITHMS)}", field="id_token_alg")
    new_id = client_id or f"svc-{secrets.token_urlsafe(CLIENT_ID_BYTES)}"
    if not new_id.replace("-", "").replace("_", "").isalnum() or len(new_id) > 64:
        raise InvalidClientInput("a client id is up to 64 letters, digits, - and _", field="client_id")
    if session.get(IdpClient, new_id) is not None:
        raise InvalidClientInput("this client id is taken", field="client_id")
    secret = None if public else secrets.token_urlsafe(SECRET_BYTES)
    row = IdpClient(
        client_id=new_id,
        name=name,
        secret_hash=None if secret is None else digest(secret),
        redirect_uris=uris,
        post_logout_redirect_uris=logout_uris,
        max_level=max_level,
        scopes=chosen,
        id_token_alg=id_token_alg,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    details = {"client_id": new_id, "max_level": max_level, "public": public, "redirect_uris": len(uris)}
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="idp.client_add",
        subject_type="idp_client",
        subject_id=new_id,
        details=details,
    )
    return Registered(_record(row), secret)


def list_clients(*, session: Session) -> list[ClientRecord]:
    """The relying parties that may sign citizens in, by name."""
    rows = session.scalars(select(IdpClient).where(IdpClient.removed_at.is_(None)).order_by(IdpClient.name))
    return [_record(r) for r in rows]


def remove_client(*, session: Session, clock: Clock, actor: Actor, client_id: str) -> None:
    """Stop a relying party: it can no longer sign anyone in, and every token it holds is revoked now."""
    row = session.get(IdpClient, client_id, with_for_update=True)
    if row is None or row.removed_at is not None:
        raise ClientNotFound(f"no client {client_id}")
    now = clock.now()
    row.removed_at = now
    session.execute(
        update(IdpToken).where(IdpToken.client_id == client_id, IdpToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="idp.client_remove",
        subject_type="idp_client",
        subject_id=client_id,
        details={"client_id": client_id},
    )


def find_client(session: Session, client_id: str) -> ClientRecord | None:
    """A registered, not removed, client."""
    if not client_id or len(client_id) > 64:
        return None
    row = session.get(IdpClient, client_id)
    return None if row is None or row.removed_at is not None else _record(row)


def _record(row: IdpClient) -> ClientRecord:
    return ClientRecord(
        client_id=row.client_id,
        name=row.name,
        public=row.secret_hash is None,
        redirect_uris=tuple(row.redirect_uris),
        post_logout_redirect_uris=tuple(row.post_logout_redirect_uris),
        max_level=row.max_level,
        scopes=tuple(row.scopes),
        id_token_alg=row.id_token_alg,
        secret_hash=row.secret_hash,
    )


def _redirect_uri(uri: str) -> str:
    """An absolute https URI, or http on a loopback host (RFC 8252 §7.3); no fragment (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    loopback = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if (
        len(uri) > URI_MAX
        or not uri.isprintable()
        or " " in uri
        or parts.fragment
        or not parts.hostname
        or (parts.scheme != "https" and not loopback)
    ):
        raise InvalidClientInput(f"not an acceptable redirect URI: {uri[:80]!r}", field="redirect_uri")
    return uri
