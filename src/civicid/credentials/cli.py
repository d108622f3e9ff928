"""``civicid verify``, ``civicid wallet print-card`` and ``civicid credentials`` (trust bundle, key rotation).

``civicid verify PATH_OR_TEXT --trust FILE [--anchor THUMBPRINT] [--json]`` reads a QR image
(PNG, JPEG…: zxing-cpp) or a QR text or SD-JWT VC (the argument itself, a file holding it, or ``-``
for standard input), verifies it offline against the trust bundle, and prints the verdict. Exit
status: 0 valid, 1 invalid (the reason is printed), 2 unreadable (no QR in the image, not a
credential, or no usable trust bundle).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from civicid.core.audit import cli_actor
from civicid.core.console import DataOption, command_clock, command_context, tell
from civicid.core.database import unit_of_work
from civicid.credentials import service
from civicid.credentials import trust_bundle as bundle
from civicid.credentials.keys import IssuerKeys
from civicid.credentials.verdict import Verdict
from civicid.credentials.verifier import verify
from civicid.wallet.portraits import PortraitVault

app = typer.Typer(no_args_is_help=True)
wallet_app = typer.Typer(no_args_is_help=True)
SourceArgument = typer.Argument(..., help="A QR image, a file holding the QR's text, the text itself, or - (stdin).")
TrustOption = typer.Option(..., "--trust", help="The trust bundle (civicid-trust/1), as the server serves it.")
AnchorOption = typer.Option([], "--anchor", help="Thumbprint of a trusted bundle signer (repeatable).")
JsonVerdictOption = typer.Option(False, "--json", help="The verdict as JSON.")
PersonOption = typer.Option(..., "--person", help="The person's id in the registry.")
OutOption = typer.Option(..., "--out", help="Where to write the file.")
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"})


def verify_command(
    source: str = SourceArgument,
    trust: Path = TrustOption,
    anchor: list[str] = AnchorOption,
    as_json: bool = JsonVerdictOption,
) -> None:
    """Verify a credential offline: exit 0 valid, 1 invalid, 2 unreadable."""
    now = command_clock().now()
    try:
        trusted = bundle.load(trust.read_text(encoding="utf-8"), anchors=anchor or None, now=now)
    except (OSError, UnicodeDecodeError, bundle.InvalidTrustBundle) as exc:
        tell(f"error: no usable trust bundle in {trust}: {exc}")
        raise typer.Exit(2) from None
    verdict = verify(_read_source(source), trusted, now=now)
    if as_json:
        sys.stdout.write(json.dumps(verdict.as_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print(verdict)
    raise typer.Exit(0 if verdict.valid else 2 if verdict.reason == "unreadable" else 1)


def _read_source(source: str) -> str | bytes:
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    try:
        if path.is_file():
            return path.read_bytes() if path.suffix.lower() in IMAGE_SUFFIXES else path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError, ValueError):
        return b""
    return source


def _print(verdict: Verdict) -> None:
    age = "" if verdict.bundle_age is None else f" (trust bundle {verdict.bundle_age // 3600} h old)"
    if not verdict.valid:
        sys.stdout.write(f"INVALID: {verdict.reason}{age}\n")
        return
    sys.stdout.write(f"VALID {verdict.profile} from {verdict.issuer}{age}\n")
    for name, value in verdict.disclosed.items():
        shown = "(photo)" if name == "photo" else value
        sys.stdout.write(f"  {name}: {shown}\n")


@wallet_app.command("print-card")
def print_card_command(
    person: int = PersonOption,
    out: Path = OutOption,
    data: Path | None = DataOption,
) -> None:
    """The paper card of a person without a smartphone: photo, name and a signed, revocable e-ID QR (PDF)."""
    context = command_context(data)
    keys = IssuerKeys.of_data_dir(context.settings.data_dir)
    vault = PortraitVault.of_data_dir(context.settings.data_dir)
    with unit_of_work(context.database.sessions) as session:
        pdf = service.paper_card(
            session=session, clock=context.clock, keys=keys, vault=vault, actor=cli_actor(), person_id=person
        )
    out.write_bytes(pdf)
    tell(f"paper card written to {out}")


@app.command("trust-bundle")
def trust_bundle_command(out: Path = OutOption, data: Path | None = DataOption) -> None:
    """Write the verifiers' trust bundle (what a verifier saves, for ``civicid verify --trust``)."""
    context = command_context(data)
    keys = IssuerKeys.of_data_dir(context.settings.data_dir)
    with unit_of_work(context.database.sessions) as session:
        text = service.trust_bundle(session=session, clock=context.clock, keys=keys)
    out.write_text(text + "\n", encoding="utf-8")
    tell(f"trust bundle written to {out}; its signer (pin with --anchor): {service.trust_anchor(keys)}")


@app.command("rotate-key")
def rotate_key_command(data: Path | None = DataOption) -> None:
    """Announce the issuer's next key: it signs once every verifier's bundle knows it; the old one vouches on."""
    context = command_context(data)
    keys = IssuerKeys.of_data_dir(context.settings.data_dir)
    with unit_of_work(context.database.sessions) as session:
        row = keys.rotate(session=session, clock=context.clock)
        tell(f"key {row.kid} announced; it signs from {row.signs_from.isoformat()}")
