"""The OpenID Connect provider on authlib's server components, with a thin adapter of our own.

authlib has no FastAPI integration, so this module gives its ``AuthorizationServer`` what a framework
integration would (a request built from plain values, responses as plain tuples) and the storage it
asks for (clients, codes, tokens) on the provider's tables. The protocol rules stay authlib's:

- the authorization code grant (RFC 6749 §4.1) with PKCE required for every client, S256 only
  (RFC 7636; RFC 9700 §2.1.1), and OpenID Connect's ``nonce``, ``prompt`` and ID token (Core §3.1);
- the refresh token grant with rotation (RFC 6749 §6; RFC 9700 §4.14.2): each refresh token is used
  once; presenting a used one again revokes its whole family, and so does a code exchanged twice
  (RFC 6749 §4.1.2).

Times come from the injected clock, not the system's. No HTTP toolkit is imported here (the routers
and pages are the edge).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from authlib.oidc.rpinitiated import EndSessionEndpoint
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from civicid.accounts.activation import holder_actor
from civicid.accounts.service import audit_account, find_account
from civicid.accounts.statuses import AccountStatus
from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.idp import signin
from civicid.idp.clients import ClientRecord, find_client
from civicid.idp.hashing import digest, matches, new_value
from civicid.idp.keys import ProviderKeys
from civicid.idp.levels import acr_of
from civicid.idp.models import IdpAuthorizationCode, IdpToken, TokenKind
from civicid.idp.scopes import SCOPES

CODE_LIFETIME = dt.timedelta(seconds=60)
ACCESS_TOKEN_LIFETIME = dt.timedelta(minutes=10)
REFRESH_TOKEN_LIFETIME = dt.timedelta(hours=8)
ID_TOKEN_LIFETIME = dt.timedelta(minutes=10)
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


@dataclass(frozen=True)
class HttpRequest:
    """What the provider needs of an HTTP request: the edge builds it from the framework's request."""

    method: str
    uri: str
    headers: Mapping[str, str]
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: Any
    headers: list[tuple[str, str]]


@dataclass(frozen=True)
class Subject:
    """The signed-in citizen an authorization is for, with how they signed in."""

    account_id: str
    level: int
    amr: tuple[str, ...]
    auth_time: dt.datetime

    def get_user_id(self) -> str:
        return self.account_id


class _Request(OAuth2Request):  # type: ignore[misc]
    """authlib's request over plain values: the query for GET, the form for POST (RFC 6749 §3.1, §3.2)."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(method=request.method, uri=request.uri, headers=_Headers(request.headers))
        values = dict(request.query) if request.method == "GET" else {**request.query, **request.form}
        self.payload = BasicOAuth2Payload(values)
        self._query = dict(request.query)
        self._form = dict(request.form)

    @property
    def args(self) -> dict[str, str]:
        return self._query

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _Headers(dict[str, str]):
    """Header names are case-insensitive (RFC 9110 §5.1); authlib asks for "Authorization"."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__((k.lower(), v) for k, v in headers.items())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class Client:
    """authlib's ``ClientMixin`` over a registered relying party."""

    def __init__(self, record: ClientRecord) -> None:
        self.record = record
        self.client_id = record.client_id
        self.id_token_signed_response_alg = record.id_token_alg
        self.client_metadata = {"post_logout_redirect_uris": list(record.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.record.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OpenID Connect requires redirect_uri on every request (Core §3.1.2.1): no default.
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in self.record.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison (RFC 9700 §4.1.3).
        return redirect_uri in self.record.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return matches(client_secret, self.record.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.record.public:
            return method == "none"
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in {"authorization_code", "refresh_token"}


class _Code:
    """authlib's ``AuthorizationCodeMixin`` (with OpenID Connect's) over a stored code."""

    def __init__(self, row: IdpAuthorizationCode) -> None:
        self.row = row

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return int(self.row.auth_time.timestamp())

    def get_acr(self) -> str:
        return acr_of(self.row.level)

    def get_amr(self) -> list[str]:
        return list(self.row.amr)


class _RefreshToken:
    """authlib's ``TokenMixin`` over a stored refresh token."""

    def __init__(self, row: IdpToken) -> None:
        self.row = row

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.row.scope


class _PkceRequired(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, confidential ones included, and S256 only (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE is required (S256)", redirect_uri=redirect_uri)
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256", redirect_uri=redirect_uri)
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: _Code) -> str:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: _Code) -> str:
        return authorization_code.row.code_challenge_method


class Provider(AuthorizationServer):  # type: ignore[misc]
    """One request's provider: the session and clock of its transaction, the keys, the issuer URL."""

    def __init__(self, *, session: Session, clock: Clock, keys: ProviderKeys, issuer: str) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.session, self.clock, self.keys, self.issuer = session, clock, keys, issuer
        self.register_token_generator("default", self._generate_token)
        self.register_grant(_CodeGrant, [_PkceRequired(required=True), _OpenIDCode(self, require_nonce=False)])
        self.register_grant(_RefreshGrant)
        self.register_endpoint(_EndSession(self))
        #: The sign-in cookie of the browser asking to log out (RP-initiated logout).
        self.end_session_token: str | None = None

    # What a framework integration provides ---------------------------------------------------------

    def query_client(self, client_id: str) -> Client | None:
        record = find_client(self.session, client_id)
        return None if record is None else Client(record)

    def create_oauth2_request(self, request: HttpRequest | _Request) -> _Request:
        return request if isinstance(request, _Request) else _Request(request)

    def create_json_request(self, request: HttpRequest) -> Any:
        raise NotImplementedError("the provider takes no JSON requests")

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> HttpResponse:
        return HttpResponse(status, body, list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    # Tokens ------------------------------------------------------------------------------------------

    def _generate_token(
        self,
        grant_type: str,
        client: Client,
        user: Subject | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": new_value(),
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "scope": scope or "",
        }
        if include_refresh_token:
            token["refresh_token"] = new_value()
        return token

    def save_token(self, token: dict[str, Any], request: _Request) -> None:
        """Store the new tokens' digests in the family of the code or refresh token they came from."""
        now = self.clock.now()
        subject: Subject = request.user
        if request.authorization_code is not None:
            code: _Code = request.authorization_code
            family = code.row.family = new_id()
        else:
            family = request.refresh_token.row.family
        common = {
            "family": family,
            "client_id": request.client.get_client_id(),
            "account_id": subject.account_id,
            "scope": token.get("scope", ""),
            "level": subject.level,
            "amr": list(subject.amr),
            "auth_time": subject.auth_time,
            "issued_at": now,
        }
        self.session.add(
            IdpToken(
                token_hash=digest(token["access_token"]),
                kind=TokenKind.ACCESS,
                expires_at=now + ACCESS_TOKEN_LIFETIME,
                **common,
            )
        )
        if "refresh_token" in token:
            self.session.add(
                IdpToken(
                    token_hash=digest(token["refresh_token"]),
                    kind=TokenKind.REFRESH,
                    expires_at=now + REFRESH_TOKEN_LIFETIME,
                    **common,
                )
            )
        self.session.flush()
        account = find_account(session=self.session, account_id=subject.account_id)
        if account is not None:
            action = "idp.token_issue" if request.authorization_code is not None else "idp.token_refresh"
            details = {"client_id": common["client_id"], "level": subject.level}
            audit_account(self.session, self.clock, holder_actor(account.id), action, account, details)

    def revoke_family(self, family: str, reason: str) -> None:
        """Revoke every token of a family: a replayed code or a reused refresh token (someone holds a copy)."""
        now = self.clock.now()
        self.session.execute(
            update(IdpToken).where(IdpToken.family == family, IdpToken.revoked_at.is_(None)).values(revoked_at=now)
        )
        first = self.session.scalars(select(IdpToken).where(IdpToken.family == family).limit(1)).first()
        account = None if first is None else find_account(session=self.session, account_id=first.account_id)
        if account is not None and first is not None:
            details = {"client_id": first.client_id, "reason": reason}
            audit_account(self.session, self.clock, holder_actor(account.id), "idp.family_revoke", account, details)

    def subject_of(self, account_id: str, level: int, amr: list[str], auth_time: dt.datetime) -> Subject | None:
        """The citizen a code or refresh token speaks for, while their account stays active."""
        account = find_account(session=self.session, account_id=account_id)
        if account is None or account.status is not AccountStatus.ACTIVE:
            return None
        return Subject(account_id, level, tuple(amr), auth_time)


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)
    server: Provider

    def save_authorization_code(self, code: str, request: _Request) -> None:
        subject: Subject = request.user
        data = request.payload.data
        now = self.server.clock.now()
        self.server.session.add(
            IdpAuthorizationCode(
                code_hash=digest(code),
                client_id=request.client.get_client_id(),
                account_id=subject.account_id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.client.get_allowed_scope(request.payload.scope or ""),
                nonce=data.get("nonce"),
                code_challenge=data["code_challenge"],
                code_challenge_method=data.get("code_challenge_method", "S256"),
                level=subject.level,
                amr=list(subject.amr),
                auth_time=subject.auth_time,
                expires_at=now + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> _Code | None:
        row = self.server.session.get(IdpAuthorizationCode, digest(code), with_for_update=True)
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:
            # RFC 6749 §4.1.2: a code used twice is refused, and what it issued is revoked.
            if row.family is not None:
                self.server.revoke_family(row.family, "code_replayed")
            return None
        if row.expires_at <= self.server.clock.now():
            return None
        return _Code(row)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        # Kept, marked used: its second use must be recognised (above).
        authorization_code.row.used_at = self.server.clock.now()

    def authenticate_user(self, authorization_code: _Code) -> Subject | None:
        row = authorization_code.row
        return self.server.subject_of(row.account_id, row.level, row.amr, row.auth_time)


class _RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation
    server: Provider

    def authenticate_refresh_token(self, refresh_token: str) -> _RefreshToken | None:
        if len(refresh_token) > 100:
            return None
        row = self.server.session.get(IdpToken, digest(refresh_token), with_for_update=True)
        if row is None or row.kind is not TokenKind.REFRESH or row.revoked_at is not None:
            return None
        if row.used_at is not None:
            # RFC 9700 §4.14.2: a rotated refresh token came back; the thief or the client holds a copy.
            self.server.revoke_family(row.family, "refresh_reused")
            return None
        if row.expires_at <= self.server.clock.now():
            return None
        return _RefreshToken(row)

    def authenticate_user(self, refresh_token: _RefreshToken) -> Subject | None:
        row = refresh_token.row
        return self.server.subject_of(row.account_id, row.level, row.amr, row.auth_time)

    def revoke_old_credential(self, refresh_token: _RefreshToken) -> None:
        refresh_token.row.used_at = self.server.clock.now()


class _OpenIDCode(OpenIDCode):  # type: ignore[misc]
    """The ID token (Core §2, §3.1.3.6): iss, sub, aud, exp, iat, auth_time, nonce, acr, amr, at_hash."""

    def __init__(self, provider: Provider, require_nonce: bool) -> None:
        super().__init__(require_nonce=require_nonce)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: _Request) -> bool:
        session = self.provider.session
        query = select(IdpAuthorizationCode.code_hash).where(
            IdpAuthorizationCode.client_id == request.payload.client_id, IdpAuthorizationCode.nonce == nonce
        )
        return session.scalars(query.limit(1)).first() is not None

    def resolve_client_private_key(self, client: Client) -> Any:
        return self.provider.keys.private(client.record.id_token_alg)

    def get_client_algorithm(self, client: Client) -> str:
        return client.record.id_token_alg

    def get_encode_header(self, client: Client) -> dict[str, str]:
        key = self.provider.keys.private(client.record.id_token_alg)
        return {"alg": client.record.id_token_alg, "kid": key.kid or "", "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = self.provider.clock.now()
        return {
            "iss": self.provider.issuer,
            "aud": client.get_client_id(),
            "iat": int(now.timestamp()),
            "exp": int((now + ID_TOKEN_LIFETIME).timestamp()),
        }

    def generate_user_info(self, user: Subject, scope: str) -> dict[str, Any]:
        # Only ``sub`` here: the profile claims come from the UserInfo endpoint (Core §5.4).
        return {"sub": user.account_id}


class _EndSession(EndSessionEndpoint):  # type: ignore[misc]
    """RP-initiated logout: the ``id_token_hint`` is checked against our own keys; the sign-in ends."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(provider)
        self.provider = provider

    def get_server_jwks(self) -> dict[str, Any]:
        return self.provider.keys.jwks()

    def end_session(self, end_session_request: Any) -> None:
        client = end_session_request.client
        signin.sign_out(
            session=self.provider.session,
            clock=self.provider.clock,
            token=self.provider.end_session_token,
            client_id=None if client is None else client.get_client_id(),
        )
