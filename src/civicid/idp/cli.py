"""``civicid idp add-client | list-clients | remove-client``: an administrator registers the public
services that may sign citizens in (OpenID Connect relying parties)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from civicid.core.audit import cli_actor
from civicid.core.console import DataOption, command_context, tell
from civicid.core.database import unit_of_work
from civicid.idp import clients
from civicid.idp.keys import ALGORITHMS, DEFAULT_ALG

app = typer.Typer(no_args_is_help=True)
RedirectOption = typer.Option(..., "--redirect-uri", help="An allowed redirect URI (repeatable).")
LogoutOption = typer.Option([], "--post-logout-uri", help="An allowed post-logout redirect URI (repeatable).")
ScopeOption = typer.Option([], "--scope", help="An allowed scope (repeatable; default: all).")


@app.command("add-client")
def add_client_command(
    name: str = typer.Option(..., "--name", help="The service's name, shown to citizens on the consent page."),
    redirect_uri: list[str] = RedirectOption,
    post_logout_uri: list[str] = LogoutOption,
    max_level: int = typer.Option(2, "--max-level", min=1, max=2, help="The highest level it may ask for."),
    scope: list[str] = ScopeOption,
    public: bool = typer.Option(False, "--public", help="A public client (no secret; PKCE alone)."),
    alg: str = typer.Option(DEFAULT_ALG, "--alg", help=f"ID token algorithm: {' or '.join(ALGORITHMS)}."),
    client_id: str | None = typer.Option(None, "--client-id", help="Choose the client id (default: generated)."),
    as_json: bool = typer.Option(False, "--json", help="Print the client id and secret as JSON."),
    data: Path | None = DataOption,
) -> None:
    """Register a relying party; its secret is printed once and never stored (only its hash)."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        done = clients.add_client(
            session=session,
            clock=context.clock,
            actor=cli_actor(),
            name=name,
            redirect_uris=redirect_uri,
            post_logout_redirect_uris=post_logout_uri,
            max_level=max_level,
            scopes=scope or None,
            public=public,
            id_token_alg=alg,
            client_id=client_id,
        )
    if as_json:
        sys.stdout.write(json.dumps({"client_id": done.client.client_id, "client_secret": done.client_secret}) + "\n")
        return
    sys.stdout.write(f"client_id: {done.client.client_id}\n")
    if done.client_secret is not None:
        sys.stdout.write(f"client_secret: {done.client_secret}\n")
        tell("the secret is shown this once; only its hash is kept")


@app.command("list-clients")
def list_clients_command(data: Path | None = DataOption) -> None:
    """The registered relying parties: id, highest level, name, redirect URIs."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        rows = clients.list_clients(session=session)
    for row in rows:
        kind = "public" if row.public else "confidential"
        sys.stdout.write(f"{row.client_id}\tlevel {row.max_level}\t{kind}\t{row.name}\t{' '.join(row.redirect_uris)}\n")


@app.command("remove-client")
def remove_client_command(client_id: str = typer.Argument(...), data: Path | None = DataOption) -> None:
    """Remove a relying party: it signs no one in any more, and its tokens are revoked now."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        clients.remove_client(session=session, clock=context.clock, actor=cli_actor(), client_id=client_id)
    tell(f"client {client_id} removed; its tokens are revoked")
