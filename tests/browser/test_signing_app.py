"""Digital signatures in the citizen's app on a 360 × 740 phone in Debian's Chromium: the holder activates
a signature with an SMS code and the passcode, signs a PDF chosen from the phone (reviewed first: its
SHA-256 as the app computed it), saves the signed copy, checks it in the verify screen, and finds it in the
signing history. The saved copy is then checked again with pyHanko's validator through the service."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.test_citizen_app import PASSCODE, Holder, activate, new_phone
from tests.factories import codes_sent, sample_pdf, signing_runtime
from tests.factories import issued_account as issue

from civicid.accounts.hashing import FAST
from civicid.app import create_app
from civicid.core.audit import SYSTEM
from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context, open_context
from civicid.core.settings import Settings
from civicid.country.zone import TIME_ZONE
from civicid.registry import service as registry
from civicid.signing import service
from civicid.sim.demo import build_demo
from civicid.web.serving import ServerThread

pytestmark = pytest.mark.browser


@dataclass
class SigningServer:
    context: Context
    thread: ServerThread
    holder: Holder

    @property
    def url(self) -> str:
        return self.thread.url

    def latest_code(self, holder: Holder, after: int = 0) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sent = codes_sent(self.context, holder.account.id)
            if len(sent) > after:
                return sent[0]
            time.sleep(0.1)
        raise AssertionError("no SMS code arrived")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningServer]:
    context = open_context(Settings(data_dir=tmp_path_factory.mktemp("signing-app")), clock=SystemClock(zone=TIME_ZONE))
    demo = build_demo(context=context, people=20)
    with unit_of_work(context.database.sessions) as session:
        [adult, *_] = registry.enrollable_adults(
            session=session, commune_code=demo.commune_code, reference_date=context.clock.today()
        )
        person = registry.get_person(session=session, clock=context.clock, actor=SYSTEM, person_id=adult)
    holder = Holder(issue(context, person, phone="0912000009"), "0912000009")
    app = create_app(context)
    app.state.secret_hasher = FAST
    thread = ServerThread(app)
    thread.start()
    yield SigningServer(context, thread, holder)
    thread.stop()
    context.database.close()


@pytest.fixture(scope="module")
def phone(browser: Browser, server: SigningServer) -> Iterator[Page]:
    outside: list[str] = []
    context, page = new_phone(browser, outside)
    activate(page, server, server.holder)  # type: ignore[arg-type] - the same url and latest_code
    yield page
    context.close()
    assert outside == [], "the app must load nothing from outside the server"


def test_the_holder_activates_signs_checks_and_finds_the_document_in_the_history(
    phone: Page, server: SigningServer, tmp_path: Path, screenshot_dir: Path
) -> None:
    page = phone

    def shot(name: str) -> None:
        page.screenshot(path=screenshot_dir / f"signing-app-{name}.png", full_page=True)

    page.get_by_role("link", name="Chữ ký số").click()
    expect(page.locator("h1")).to_have_text("Chữ ký số")
    expect(page.locator("main")).to_contain_text("mô phỏng")
    page.get_by_role("link", name="Kích hoạt chữ ký số").click()
    codes_before = len(codes_sent(server.context, server.holder.account.id))
    page.get_by_role("button", name="Gửi mã SMS cho tôi").click()
    page.get_by_label("Mã trong tin nhắn SMS").fill(server.latest_code(server.holder, after=codes_before))
    page.get_by_label("Mã PIN (6 số)").fill(PASSCODE)
    page.get_by_role("button", name="Kích hoạt chữ ký số").click()
    expect(page.locator("main")).to_contain_text("Chữ ký số của bạn đã được kích hoạt.")
    expect(page.locator(".badge.ok")).to_have_text("Đang hoạt động")
    shot("signature-vi")

    document = tmp_path / "don.pdf"
    document.write_bytes(sample_pdf())
    page.get_by_role("link", name="Ký tài liệu PDF").click()
    page.get_by_label("Tài liệu PDF").set_input_files(str(document))
    page.get_by_role("button", name="Xem lại tài liệu").click()
    expect(page.locator("h1")).to_have_text("Kiểm tra trước khi ký")
    expect(page.locator(".facts")).to_contain_text(hashlib.sha256(document.read_bytes()).hexdigest())
    shot("review-vi")
    page.get_by_label("Mã PIN (6 số)").fill(PASSCODE)
    page.get_by_role("button", name="Ký bằng mã PIN").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="Lưu PDF đã ký").click()
    signed = tmp_path / "signed.pdf"
    download.value.save_as(signed)

    page.goto(f"{server.url}/app/#/verify-pdf")
    page.get_by_label("Tài liệu PDF").set_input_files(str(signed))
    page.get_by_role("button", name="Kiểm tra chữ ký").click()
    expect(page.locator("main")).to_contain_text("Chữ ký hợp lệ")
    expect(page.locator("main")).to_contain_text(server.holder.account.id_number)
    expect(page.locator("main")).to_contain_text("Không bị sửa từ khi ký")
    shot("verify-vi")

    page.goto(f"{server.url}/app/#/signing-history")
    expect(page.locator("ol.events li")).to_have_count(1)
    expect(page.locator("main")).to_contain_text(hashlib.sha256(document.read_bytes()).hexdigest())
    shot("history-vi")

    with unit_of_work(server.context.database.sessions) as session:
        [report] = service.verify_document(
            session=session, clock=server.context.clock, signing=signing_runtime(server.context),
            document=signed.read_bytes(),
        )  # fmt: skip
    assert report.ok, report.problems
