"""``civicid sign``: the signing CA, a citizen's signature, and PDFs signed and verified at the terminal.

- ``civicid sign ca init`` makes the hierarchy (root, citizen CA, time-stamping unit) if absent and prints
  the root's SHA-256 fingerprint, the value relying parties pin.
- ``civicid sign activate --person ID --send-code`` sends the holder the SMS code; ``civicid sign activate
  --person ID`` then asks for it and the passcode.
- ``civicid sign pdf --person ID --in FILE --out FILE`` signs with the holder's key after the passcode
  (PAdES B-LT; ``--level B-T`` without embedded revocation data).
- ``civicid sign verify FILE [--json]`` checks every signature: exit 0 all good, 1 one is not (modified,
  revoked, untrusted), 2 unreadable or unsigned.
- ``civicid sign revoke --person ID`` revokes the holder's certificate (form TK03 at the commune police).

The composition passes how a command gets the signing runtime (``make_app``): the vault is a deployment's
choice (``plugins.py``), not this module's.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import typer
from cryptography.hazmat.primitives import hashes

from civicid.accounts import service as accounts
from civicid.core.audit import cli_actor
from civicid.core.console import DataOption, command_context, fail, tell
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.core.settings import Settings
from civicid.signing import service
from civicid.signing.errors import InvalidDocument
from civicid.signing.models import RevocationReason
from civicid.signing.pdf import MAX_PDF_BYTES
from civicid.signing.service import Signing

PersonOption = typer.Option(..., "--person", min=1, max=2**31 - 1, help="The person's id in the registry.")
InOption = typer.Option(..., "--in", exists=True, dir_okay=False, help="The PDF to sign.")
OutOption = typer.Option(..., "--out", dir_okay=False, help="Where to write the signed PDF.")
LevelOption = typer.Option("B-LT", "--level", help="B-LT (revocation data embedded) or B-T.")
SignedArgument = typer.Argument(..., exists=True, dir_okay=False, help="The signed PDF.")
JsonOption = typer.Option(False, "--json", help="The report as JSON (civicid-pdf-verify/1).")
SendCodeOption = typer.Option(False, "--send-code", help="Step 1: send the SMS code to the holder's phone.")
ReasonOption = typer.Option("requested", "--reason", help="requested or key-compromise.")
REVOCATION_REASONS = {
    "requested": RevocationReason.CESSATION_OF_OPERATION,
    "key-compromise": RevocationReason.KEY_COMPROMISE,
}


def make_app(runtime_for: Callable[[Settings], Signing]) -> typer.Typer:
    """The ``civicid sign`` commands, each opening the runtime the deployment chose."""
    app = typer.Typer(no_args_is_help=True)
    ca_app = typer.Typer(no_args_is_help=True)
    app.add_typer(ca_app, name="ca", help="The signing CA: its root, citizen CA and time-stamping unit.")

    def opened(data: Path | None) -> tuple[Context, Signing]:
        context = command_context(data)
        return context, runtime_for(context.settings)

    @ca_app.command("init")
    def ca_init(data: Path | None = DataOption) -> None:
        """Make the CA hierarchy if absent; print the root certificate's SHA-256 fingerprint."""
        context, signing = opened(data)
        with unit_of_work(context.database.sessions) as session:
            hierarchy = signing.pki.hierarchy(session=session, clock=context.clock)
        sys.stdout.write(f"root {hierarchy.root.fingerprint(hashes.SHA256()).hex()}\n")
        sys.stdout.write(f"citizen-ca {hierarchy.citizen_ca.fingerprint(hashes.SHA256()).hex()}\n")
        sys.stdout.write(f"tsa {hierarchy.tsa.fingerprint(hashes.SHA256()).hex()}\n")

    @app.command("activate")
    def activate(person: int = PersonOption, send_code: bool = SendCodeOption, data: Path | None = DataOption) -> None:
        """Activate the holder's signature in two steps: ``--send-code`` sends the SMS code to their phone; then
        the command asks for that code and their passcode."""
        context, signing = opened(data)
        with unit_of_work(context.database.sessions) as session:
            account = accounts.get_account_by_person(session=session, person_id=person)
        if send_code:
            with unit_of_work(context.database.sessions) as session:
                sent = service.request_activation_code(session=session, clock=context.clock, account_id=account.id)
            if not sent:
                fail("no SMS code could be sent (no phone, or too many codes this hour)")
            tell("an SMS code went to the holder's phone; run the command again without --send-code")
            return
        code = typer.prompt("SMS code", hide_input=True)
        passcode = typer.prompt("Passcode", hide_input=True)
        with unit_of_work(context.database.sessions) as session:
            issued = service.activate(
                session=session, clock=context.clock, signing=signing, account_id=account.id, passcode=passcode,
                code=code,
            )  # fmt: skip
        sys.stdout.write(f"activated certificate {issued.serial} ({issued.vault}) for {issued.subject}\n")

    @app.command("pdf")
    def sign_pdf(
        person: int = PersonOption,
        source: Path = InOption,
        out: Path = OutOption,
        level: str = LevelOption,
        data: Path | None = DataOption,
    ) -> None:
        """Sign a PDF with the holder's key (PAdES, time-stamped); the holder types their passcode."""
        if level not in {"B-LT", "B-T"}:
            fail("--level is B-LT or B-T")
        document = _read(source)
        context, signing = opened(data)
        passcode = typer.prompt("Passcode", hide_input=True)
        with unit_of_work(context.database.sessions) as session:
            account = accounts.get_account_by_person(session=session, person_id=person)
        with unit_of_work(context.database.sessions) as session:
            signed = service.sign_document(
                session=session, clock=context.clock, signing=signing, account_id=account.id, document=document,
                passcode=passcode, channel="cli", long_term=level == "B-LT",
            )  # fmt: skip
        out.write_bytes(signed)
        tell(f"signed ({level}, time-stamped by the demo's TSA: simulated, not accredited): {out}")

    @app.command("verify")
    def verify(
        source: Path = SignedArgument,
        as_json: bool = JsonOption,
        data: Path | None = DataOption,
    ) -> None:
        """Check every signature: signer, time, integrity, certificate status. Exit 0 good, 1 not, 2 unsigned."""
        document = _read(source)
        context, signing = opened(data)
        with unit_of_work(context.database.sessions) as session:
            reports = service.verify_document(session=session, clock=context.clock, signing=signing, document=document)
        if as_json:
            out = {"format": "civicid-pdf-verify/1", "signatures": [{**asdict(r), "ok": r.ok} for r in reports]}
            sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        else:
            for r in reports:
                verdict = "VALID" if r.ok else "NOT VALID"
                sys.stdout.write(
                    f"{verdict}: {r.signer} ({r.signer_id}) at {r.signed_at}, {r.level}; intact={r.intact} "
                    f"trusted={r.trusted} certificate={r.certificate_status}\n"
                )
                for problem in r.problems:
                    sys.stdout.write(f"  {problem}\n")
        if not reports:
            tell("the PDF holds no signature")
            raise typer.Exit(2)
        raise typer.Exit(0 if all(r.ok for r in reports) else 1)

    @app.command("revoke")
    def revoke(
        person: int = PersonOption,
        reason: str = ReasonOption,
        data: Path | None = DataOption,
    ) -> None:
        """Revoke the holder's signing certificate for good (they asked at the police, or the key is compromised)."""
        if reason not in REVOCATION_REASONS:
            fail("--reason is requested or key-compromise")
        context, signing = opened(data)
        with unit_of_work(context.database.sessions) as session:
            account = accounts.get_account_by_person(session=session, person_id=person)
            revoked = service.revoke(
                session=session, clock=context.clock, signing=signing, account_id=account.id, actor=cli_actor(),
                reason=REVOCATION_REASONS[reason],
            )  # fmt: skip
        sys.stdout.write(f"revoked certificate {revoked.serial}\n")

    return app


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_PDF_BYTES:
            raise InvalidDocument(f"a PDF is at most {MAX_PDF_BYTES // (1024 * 1024)} MiB")
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
