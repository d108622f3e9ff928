"""``civicid idp add-client | list-clients | remove-client``: an administrator registers the services."""

from __future__ import annotations

import json
from collections.abc import Callable

from typer.testing import Result

from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.idp.clients import find_client
from civicid.idp.hashing import digest

Civicid = Callable[..., Result]


def test_add_client_prints_the_secret_once_and_keeps_only_its_hash(civicid: Civicid, context: Context) -> None:
    done = civicid(
        "idp", "add-client", "--name", "Cổng dịch vụ công tỉnh", "--redirect-uri", "https://dvc.example/cb",
        "--max-level", "1", "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    with unit_of_work(context.database.sessions) as session:
        client = find_client(session, printed["client_id"])
    assert client is not None
    assert client.secret_hash == digest(printed["client_secret"])
    assert (client.max_level, client.redirect_uris) == (1, ("https://dvc.example/cb",))


def test_list_and_remove_clients(civicid: Civicid) -> None:
    added = json.loads(
        civicid("idp", "add-client", "--name", "Thư viện", "--redirect-uri", "https://lib.example/cb", "--json").stdout
    )
    assert added["client_id"] in civicid("idp", "list-clients").stdout
    assert civicid("idp", "remove-client", added["client_id"]).exit_code == 0
    assert added["client_id"] not in civicid("idp", "list-clients").stdout


def test_a_plain_http_redirect_uri_off_loopback_is_refused_in_one_line(civicid: Civicid) -> None:
    done = civicid("idp", "add-client", "--name", "X", "--redirect-uri", "http://dvc.example/cb")
    assert done.exit_code == 2
    assert "redirect URI" in done.output


def test_removing_an_unknown_client_fails_in_one_line(civicid: Civicid) -> None:
    done = civicid("idp", "remove-client", "svc-nobody")
    assert done.exit_code == 2
    assert "idp_client_not_found" in done.output
