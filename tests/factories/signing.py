"""Digital signatures: the signing runtime on a test's data folder, an activated signature, a PDF to sign."""

from __future__ import annotations

from fpdf import FPDF

from civicid.accounts.hashing import FAST
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.signing import service
from civicid.signing.adapters import KeystoreVault
from civicid.signing.ca import Pki
from civicid.signing.ports import KeyVault
from civicid.signing.service import CertificateView, Signing

from .accounts import PASSCODE, Phone, codes_sent


def signing_runtime(context: Context, vault: KeyVault | None = None) -> Signing:
    """The CA of the test's data folder, and its keystore vault unless another is given (an HSM's)."""
    pki = Pki.of_settings(context.settings)
    return Signing(pki, vault or KeystoreVault(pki.keystore))


def activated_signature(context: Context, phone: Phone, signing: Signing) -> CertificateView:
    """The holder activates a digital signature: an SMS code, then the passcode and that code."""
    with unit_of_work(context.database.sessions) as session:
        service.request_activation_code(session=session, clock=context.clock, account_id=phone.account.id, hasher=FAST)
    code = codes_sent(context, phone.account.id)[0]
    with unit_of_work(context.database.sessions) as session:
        return service.activate(
            session=session, clock=context.clock, signing=signing, account_id=phone.account.id,
            passcode=PASSCODE, code=code, hasher=FAST,
        )  # fmt: skip


def sample_pdf(text: str = "Đơn đề nghị: cấp giấy xác nhận cư trú") -> bytes:
    """A one-page PDF, as a citizen would upload (core fonts: the text is kept ASCII-safe)."""
    document = FPDF()
    document.set_title("Application")
    document.add_page()
    document.set_font("helvetica", size=14)
    document.cell(text=text.encode("ascii", "replace").decode("ascii"))
    return bytes(document.output())
