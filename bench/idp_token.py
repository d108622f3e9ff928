"""Token endpoint requests per second: ``python -m bench.idp_token``.

The same request on both sides, one after another over HTTP/1.1 keep-alive on loopback: an authorization
code exchanged with client_secret_basic and a PKCE verifier for an access token, a refresh token and an
RS256 ID token. Ours runs under uvicorn on SQLite (the embedded default, every token's digest written);
the baseline is panva's ``oidc-provider`` (node, its in-memory adapter: nothing written to disk), started
in the same run on the same machine (``npm install --prefix bench/.node oidc-provider@9.13.3``). Without
node or the package, the baseline is the bare RS256 signing rate of ``joserfc`` in the same run, and the
report says so.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from sqlalchemy import select

from bench.figures import Report, console
from civicid.accounts.models import AccountStatus, EidAccount
from civicid.accounts.service import issue_account
from civicid.app import create_app
from civicid.core.audit import SYSTEM
from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import open_context
from civicid.core.settings import Settings
from civicid.country.zone import TIME_ZONE
from civicid.idp import clients
from civicid.idp.hashing import digest, new_value
from civicid.idp.models import IdpAuthorizationCode
from civicid.registry.models import Person
from civicid.sim.demo import build_demo
from civicid.web.serving import ServerThread, free_port

BENCH = Path(__file__).resolve().parent
NODE_SCRIPT = BENCH / "oidc_provider.mjs"
NODE_PACKAGE = BENCH / ".node" / "node_modules" / "oidc-provider"
REDIRECT = "http://127.0.0.1/callback"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-bench-verifier"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args(argv)
    report = Report("idp_token")
    with tempfile.TemporaryDirectory(prefix="civicid-bench-idp-") as folder:
        ours = ours_rate(Path(folder), args.requests)
    baseline, baseline_name = oidc_provider_rate(args.requests)
    if baseline is None:
        baseline, baseline_name = bare_rs256_rate(), "bare RS256 ID-token signing (joserfc), no HTTP"
    report.context.update({"requests": args.requests, "baseline": baseline_name})
    report.add("token endpoint, code exchange (SQLite)", ours, "req/s", baseline=baseline, target="report")
    report.print()
    console.print(f"baseline: {baseline_name}")
    report.save()


def ours_rate(folder: Path, requests: int) -> float:
    """Exchanges per second at our token endpoint: codes prepared as a sign-in would leave them."""
    clock = SystemClock(zone=TIME_ZONE)
    context = open_context(Settings(data_dir=folder), clock=clock)
    build_demo(context=context, people=20)
    with unit_of_work(context.database.sessions) as session:
        person = session.scalars(select(Person).order_by(Person.id).limit(1)).one()
        account = issue_account(
            session=session,
            clock=clock,
            actor=SYSTEM,
            person_id=person.id,
            id_number=person.id_number,
            phone=None,
            level=2,
            source="bench",
        )
        row = session.get_one(EidAccount, account.id)
        row.status, row.activated_at = AccountStatus.ACTIVE, clock.now()  # as activation leaves it
        service = clients.add_client(session=session, clock=clock, actor=SYSTEM, name="bench", redirect_uris=[REDIRECT])
        codes = [new_value() for _ in range(requests)]
        now = clock.now()
        for index, code in enumerate(codes):
            session.add(
                IdpAuthorizationCode(
                    code_hash=digest(code),
                    client_id=service.client.client_id,
                    account_id=account.id,
                    redirect_uri=REDIRECT,
                    scope="openid",
                    nonce=f"n{index}",
                    code_challenge=create_s256_code_challenge(VERIFIER),
                    code_challenge_method="S256",
                    level=2,
                    amr=["pwd", "sms"],
                    auth_time=now,
                    expires_at=now + dt.timedelta(hours=1),
                )
            )
    server = ServerThread(create_app(context))
    server.start()
    try:
        secret = service.client_secret or ""
        return exchange_rate(server.url, "/idp/token", service.client.client_id, secret, codes)
    finally:
        server.stop()
        context.database.close()


def oidc_provider_rate(requests: int) -> tuple[float | None, str]:
    """panva's oidc-provider on the same machine in the same run, or None if node or the package is missing."""
    node = shutil.which("node")
    if node is None or not NODE_PACKAGE.exists():
        return None, ""
    port = free_port()
    challenge = create_s256_code_challenge(VERIFIER)
    process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        [node, str(NODE_SCRIPT), str(port), str(requests), challenge],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        if process.stdout is None:
            return None, ""
        line = process.stdout.readline()
        while line and not line.startswith("{"):  # oidc-provider's warnings go to stdout too
            line = process.stdout.readline()
        prepared = json.loads(line)
        version = json.loads((NODE_PACKAGE / "package.json").read_text())["version"]
        secret = "bench-secret-0123456789abcdef0123456789abcdef"  # noqa: S105 - the script's, on loopback
        rate = exchange_rate(prepared["issuer"], "/token", "bench", secret, prepared["codes"])
        return rate, f"oidc-provider {version} (node {node_version(node)}, in-memory adapter)"
    finally:
        process.terminate()
        process.wait(timeout=10)


def exchange_rate(base: str, path: str, client_id: str, secret: str, codes: list[str]) -> float:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
        warm = codes[:10]
        for code in warm:
            _exchange(client, path, code)
        start = time.perf_counter()
        for code in codes[10:]:
            _exchange(client, path, code)
        return (len(codes) - len(warm)) / (time.perf_counter() - start)


def _exchange(client: httpx.Client, path: str, code: str) -> None:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
    answer = client.post(path, data=form)
    if answer.status_code != 200 or "id_token" not in answer.json():
        raise RuntimeError(f"token endpoint at {client.base_url} answered {answer.status_code}: {answer.text[:200]}")


def bare_rs256_rate(seconds: float = 1.5) -> float:
    from joserfc.jwk import RSAKey

    key = RSAKey.generate_key(2048)
    claims = {"iss": "https://x", "sub": "s", "aud": "a", "iat": 0, "exp": 1, "nonce": "n"}
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        jwt.encode({"alg": "RS256"}, claims, key)
        done += 1
    return done / (time.perf_counter() - start)


def node_version(node: str) -> str:
    return subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603


if __name__ == "__main__":
    main()
