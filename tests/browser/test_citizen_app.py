"""The citizen's app on a 360 × 740 phone in Debian's Chromium: activation with a real WebCrypto key, login,
the session's end, the card with its portrait, the documents (listed, added by their key fields, opened
with the passcode), the phones linked, self-lock and unlock with the locking history, "I lost my phone"
from another browser and the account moved to a new phone, and the app reopened with the server gone.

The server is this module's own: a small demo commune in which officers issued accounts pending
activation, with the documents listed on form TK01 held by the simulated agencies and the portraits
handed over as the issue stage does. The SMS codes are read from the outbox, as the phone would receive
them. The tests of one phone run in order, each from the card: the phone activated once is logged out,
reads its documents, is locked and unlocked, then finds itself without the server; the last test stops
the server (and starts it again for whatever follows).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from tests.factories import HOLDER_PASSWORD, OFFICER, activated_phone, codes_sent, handed_over, held_licence
from tests.factories import issued_account as issue
from tests.factories.agencies import licence

from civicid.accounts.hashing import FAST
from civicid.accounts.schemas import AccountRead
from civicid.app import create_app
from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context, open_context
from civicid.core.settings import Settings
from civicid.country.zone import TIME_ZONE
from civicid.credentials import trust_bundle
from civicid.credentials.verifier import verify
from civicid.registry import service as registry
from civicid.sim.captures import portrait_svg
from civicid.sim.demo import build_demo
from civicid.sim.field import synthetic_photo
from civicid.wallet.schemas import DocumentIn
from civicid.web.serving import ServerThread

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PASSWORD = "Bản-Nà-Pục-7"
PASSCODE = "482915"
WRONG_PASSCODE = "111111"
RED = "rgb(179, 38, 30)"  # the app's --bad


@dataclass
class Holder:
    account: AccountRead
    phone: str


@dataclass
class CitizenServer:
    context: Context
    thread: ServerThread
    holders: list[Holder]
    # A third holder, whose phone (a key held by the test, activated through the services) will be lost.
    lost: Holder
    # The second holder's licences, listed on form TK01: held (no end date), ending soon, revoked.
    licences: dict[str, DocumentIn]

    @property
    def url(self) -> str:
        return self.thread.url

    def latest_code(self, holder: Holder, after: int = 0) -> str:
        """The newest SMS code of the account, once more than ``after`` codes were sent (the SMS may lag)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sent = codes_sent(self.context, holder.account.id)
            if len(sent) > after:
                return sent[0]
            time.sleep(0.1)
        raise AssertionError("no SMS code arrived")


@pytest.fixture(scope="module")
def citizen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CitizenServer]:
    """A server whose commune has two adults with accounts issued and waiting for activation."""
    context = open_context(Settings(data_dir=tmp_path_factory.mktemp("citizen-app")), clock=SystemClock(zone=TIME_ZONE))
    demo = build_demo(context=context, people=40)
    with unit_of_work(context.database.sessions) as session:
        adults = registry.enrollable_adults(
            session=session, commune_code=demo.commune_code, reference_date=context.clock.today()
        )
        # An officer reads the records (the usage history shows it), then issues the accounts.
        persons = [
            registry.get_person(session=session, clock=context.clock, actor=OFFICER, person_id=person_id)
            for person_id in adults[:3]
        ]
    # The second listed on form TK01 three driving licences the traffic police hold for them (one ending
    # within 30 days, one revoked) and a mistyped health-insurance card: the agencies answer when the
    # account is activated. The issue stage hands their portraits over: the first a drawing, as the
    # demo's kits take them, the second a photo.
    soon = context.clock.today() + dt.timedelta(days=10)
    licences = {
        "held": held_licence(context, persons[1]),
        "soon": held_licence(context, persons[1], classes="B", valid_until=soon),
        "revoked": held_licence(context, persons[1], revoked=True),
    }
    health = DocumentIn(kind="health_insurance", number="HS-4")
    handed_over(context, persons[0], portrait=portrait_svg(persons[0].id))
    handed_over(context, persons[1], *licences.values(), health, portrait=synthetic_photo(persons[1].id))
    phones = ["0912000001", "0912000002"]
    holders = [
        Holder(issue(context, person, phone=phone), phone) for person, phone in zip(persons[:2], phones, strict=True)
    ]
    lost = activated_phone(context, persons[2], phone="0912000003")
    app = create_app(context)
    app.state.secret_hasher = FAST
    thread = ServerThread(app)
    thread.start()
    yield CitizenServer(context, thread, holders, Holder(lost.account, lost.phone), licences)
    thread.stop()
    context.database.close()


def new_phone(browser: Browser, outside: list[str]) -> tuple[BrowserContext, Page]:
    phone = browser.new_context(viewport=PHONE, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = phone.new_page()
    page.on("request", lambda r: outside.append(r.url) if not from_the_server(r.url) else None)
    return phone, page


def from_the_server(url: str) -> bool:
    """A request to the server, or for a blob: URL the app made of what the server sent (the portrait)."""
    if url.startswith("blob:"):
        url = url.removeprefix("blob:")
    return urlparse(url).hostname == "127.0.0.1"


def activate(page: Page, citizen: CitizenServer, holder: Holder, screenshots: Path | None = None) -> None:
    """Activation as a person does it, one page a step, to the card."""

    def shot(name: str) -> None:
        if screenshots is not None:
            page.screenshot(path=screenshots / f"citizen-app-{name}.png", full_page=True)

    page.goto(f"{citizen.url}/app/")
    expect(page.locator("h1")).to_have_text("Chào mừng")
    shot("welcome-vi")
    page.get_by_role("link", name="Kích hoạt tài khoản").click()
    expect(page.locator("h1")).to_have_text("Kích hoạt tài khoản")
    page.get_by_label("Số định danh").fill(holder.account.id_number)
    page.get_by_label("Số điện thoại").fill(holder.phone)
    page.get_by_role("button", name="Gửi mã cho tôi").click()
    expect(page.locator("h1")).to_have_text("Mã trong tin nhắn")
    page.get_by_label("Mã trong tin nhắn SMS").fill(citizen.latest_code(holder))
    shot("activation-code-vi")
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.locator("h1")).to_have_text("Mật khẩu của bạn")
    rules = page.locator("ul.rules li")
    page.get_by_label("Đặt mật khẩu").fill("banna")  # too short, no digit, no capital, no sign
    expect(rules.and_(page.locator(".ok"))).to_have_count(1)  # only "a small letter"
    shot("activation-password-rules-vi")
    page.get_by_label("Đặt mật khẩu").fill(PASSWORD)
    expect(page.locator("ul.rules li.no")).to_have_count(0)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.locator("h1")).to_have_text("Mã PIN của bạn")
    page.get_by_label("Đặt mã PIN (6 số)").fill(PASSCODE)
    page.get_by_label("Nhập lại mã PIN").fill(PASSCODE)
    page.get_by_role("button", name="Tiếp tục").click()

    expect(page.locator("h1")).to_have_text("Hai câu hỏi bảo mật")
    page.get_by_label("Câu hỏi 1").select_option("first_school")
    page.get_by_label("Câu trả lời 1").fill("Trường Tiểu học Cao Minh")
    page.get_by_label("Câu hỏi 2").select_option("first_school")
    page.get_by_label("Câu trả lời 2").fill("Nà Pục")
    page.get_by_role("button", name="Kích hoạt trên điện thoại này").click()
    expect(page.get_by_role("alert")).to_have_text("Hãy chọn hai câu hỏi khác nhau.")
    page.get_by_label("Câu hỏi 2").select_option("mother_village")
    shot("activation-questions-vi")
    page.get_by_role("button", name="Kích hoạt trên điện thoại này").click()

    expect(page.locator("h1")).to_have_text("Thẻ căn cước điện tử")
    expect(page.locator(".idcard .id-number")).to_contain_text(holder.account.id_number)
    expect(page.locator("main")).to_contain_text("Tài khoản của bạn đã được kích hoạt trên điện thoại này.")


def at_home(page: Page) -> None:
    """Back to the card, wherever the test before left the phone."""
    page.locator(".brand").click()
    expect(page.locator("h1")).to_have_text("Thẻ căn cước điện tử")


def log_in(page: Page, password: str = PASSWORD) -> None:
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def card_is_shown(page: Page, holder: Holder) -> None:
    expect(page.locator("h1")).to_have_text("Thẻ căn cước điện tử")
    expect(page.locator(".idcard .id-number")).to_contain_text(holder.account.id_number)
    expect(page.locator(".idcard")).to_contain_text("Tài khoản mức 2")
    expect(page.locator(".idcard")).to_contain_text("Đang hoạt động")


@pytest.fixture(scope="module")
def phone(browser: Browser, citizen: CitizenServer) -> Iterator[Page]:
    """The second holder's phone, activated once; the tests below take it in turn."""
    outside: list[str] = []
    context, page = new_phone(browser, outside)
    activate(page, citizen, citizen.holders[1])
    yield page
    context.close()
    assert outside == [], "the app must load nothing from outside the server"


# The app's IndexedDB as the page sees it: the tests look inside the phone through these.
PHONE_STORAGE = """
const db = await new Promise((ok) => {
  const opening = indexedDB.open("civicid-app");
  opening.onsuccess = () => ok(opening.result);
});
const ask = (request) => new Promise((ok) => { request.onsuccess = () => ok(request.result); });
const read = (store, key) => ask(db.transaction(store).objectStore(store).get(key));
const write = (store, key, value) => ask(db.transaction(store, "readwrite").objectStore(store).put(value, key));
const session = await read("state", "session");
const asHolder = { Authorization: `Bearer ${session.token}`, "CivicID-Device": session.device_id };
"""


def in_phone(page: Page, body: str) -> dict[str, Any]:
    """Run ``body`` in the page with the app's storage at hand (``read``, ``write``, ``session``, ``asHolder``)."""
    found: dict[str, Any] = page.evaluate(f"async () => {{ {PHONE_STORAGE}\n{body} }}")
    return found


def portrait_is_shown(page: Page, media_type: str) -> None:
    """The card's photo, fetched with the session's headers, shown through a blob: URL and kept with the card."""
    photo = page.locator(".idcard img.portrait")
    expect(photo).to_have_attribute("src", re.compile(r"^blob:"))
    page.wait_for_function("document.querySelector('.idcard img.portrait').naturalWidth > 0")
    kept = in_phone(page, 'return { type: (await read("copies", "card")).data.portrait.type };')
    assert kept["type"] == media_type


def test_activation_to_the_card_with_a_webcrypto_key(
    browser: Browser, citizen: CitizenServer, screenshot_dir: Path
) -> None:
    outside: list[str] = []
    context, page = new_phone(browser, outside)
    holder = citizen.holders[0]
    activate(page, citizen, holder, screenshot_dir)
    card_is_shown(page, holder)
    portrait_is_shown(page, "image/svg+xml")  # the demo's kits draw the portrait
    page.screenshot(path=screenshot_dir / "citizen-app-card-vi.png", full_page=True)

    found = in_phone(
        page,
        """const key = await read("keys", "device");
        let exported = "refused";
        try { await crypto.subtle.exportKey("jwk", key.privateKey); exported = "allowed"; } catch {}
        const devices = await (await fetch("/api/v1/accounts/me/devices", { headers: asHolder })).json();
        return { deviceId: key.deviceId, algorithm: key.privateKey.algorithm,
                 extractable: key.privateKey.extractable, exported, devices };""",
    )
    assert found["algorithm"] == {"name": "ECDSA", "namedCurve": "P-256"}
    assert found["extractable"] is False
    assert found["exported"] == "refused"  # the private key never leaves WebCrypto
    # The server bound the key the phone holds: its device id is the key's RFC 7638 thumbprint.
    assert [d["device_id"] for d in found["devices"] if d["current"]] == [found["deviceId"]]

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#text-size").click()
    expect(page.locator("html")).to_have_class("large-text")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshot_dir / "citizen-app-card-large-text-vi.png", full_page=True)
    page.locator("#text-size").click()

    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("My e-ID card")
    expect(page.locator(".idcard")).to_contain_text("Level 2 account")
    page.screenshot(path=screenshot_dir / "citizen-app-card-en.png", full_page=True)
    context.close()
    assert outside == []


def test_login_wrong_password_and_the_session_ending(phone: Page, citizen: CitizenServer, screenshot_dir: Path) -> None:
    holder = citizen.holders[1]
    phone.get_by_role("button", name="Đăng xuất").click()
    expect(phone.locator("main")).to_contain_text("Bạn đã đăng xuất.")
    expect(phone.get_by_label("Số định danh")).to_have_value(holder.account.id_number)
    log_in(phone, "Sai-mat-khau-1")
    expect(phone.get_by_role("alert")).to_have_text("Số định danh hoặc mật khẩu không đúng.")
    phone.screenshot(path=screenshot_dir / "citizen-app-login-refused-vi.png", full_page=True)
    log_in(phone)
    card_is_shown(phone, holder)

    # The session ends on the server (here: ended by another call); the next call gets 401, and the app
    # asks the person to log in again.
    in_phone(phone, 'await fetch("/api/v1/accounts/me/logout", { method: "POST", headers: asHolder });')
    phone.get_by_role("link", name="Lịch sử sử dụng").click()
    expect(phone.locator("h1")).to_have_text("Đăng nhập")
    expect(phone.locator("main")).to_contain_text("Phiên đăng nhập đã hết. Vui lòng đăng nhập lại.")
    log_in(phone)
    card_is_shown(phone, holder)


def test_the_card_with_its_photo(phone: Page, citizen: CitizenServer, screenshot_dir: Path) -> None:
    at_home(phone)
    card_is_shown(phone, citizen.holders[1])
    portrait_is_shown(phone, "image/jpeg")  # the thumbnail of the photo taken at enrollment
    phone.screenshot(path=screenshot_dir / "citizen-app-card-photo-vi.png", full_page=True)


def test_usage_history_in_words(phone: Page, screenshot_dir: Path) -> None:
    at_home(phone)
    phone.get_by_role("link", name="Lịch sử sử dụng").click()
    expect(phone.locator("h1")).to_have_text("Lịch sử sử dụng")
    events = phone.locator("ol.events")
    expect(events).to_contain_text("Bạn đã đăng nhập")
    expect(events).to_contain_text("Bạn đã kích hoạt tài khoản trên một điện thoại")
    expect(events).to_contain_text("Một cán bộ đã xem hồ sơ của bạn")
    expect(events).to_contain_text("Cán bộ officer.test")
    phone.screenshot(path=screenshot_dir / "citizen-app-history-vi.png", full_page=True)


def masked(number: str) -> str:
    """A document's number as the list shows it: dots, then its last four characters."""
    return "•" * (len(number) - 4) + number[-4:]


def listed(page: Page, number: str) -> Locator:
    return page.locator("li.document").filter(has_text=masked(number))


def test_documents_in_the_wallet(phone: Page, citizen: CitizenServer, screenshot_dir: Path) -> None:
    at_home(phone)
    phone.get_by_role("link", name="Giấy tờ của tôi").click()
    expect(phone.locator("h1")).to_have_text("Giấy tờ của tôi")
    held = listed(phone, citizen.licences["held"].number)
    expect(held).to_contain_text("Giấy phép lái xe")
    expect(held.locator(".badge")).to_have_text("Đã xác thực")
    expect(held).to_contain_text("Không thời hạn")  # a motorcycle licence does not end
    # Who confirmed it, and that this agency is the demo's, in plain words.
    expect(held.locator(".agency")).to_contain_text("Xác thực bởi Cục Cảnh sát giao thông (mô phỏng)")
    expect(held.locator(".agency .tag")).to_have_text("Cơ quan mô phỏng (thử nghiệm, không phải cơ quan thật)")
    soon = listed(phone, citizen.licences["soon"].number)
    ends = dt.date.today() + dt.timedelta(days=10)
    expect(soon).to_have_class(re.compile(r"\bexpiring\b"))
    expect(soon.locator(".badge")).to_have_text(f"Hết hạn ngày {ends:%d/%m/%Y} – hãy sớm gia hạn")
    expect(soon.locator(".badge")).to_have_css("color", RED)
    revoked = listed(phone, citizen.licences["revoked"].number)
    expect(revoked).to_have_class(re.compile(r"\brevoked\b"))
    expect(revoked.locator(".badge")).to_have_text("Đã bị thu hồi – không còn giá trị")
    health = phone.locator("li.document").filter(has_text="Thẻ bảo hiểm y tế")
    expect(health.locator(".badge")).to_have_text("Chưa xác thực được: số hoặc thông tin giấy tờ viết chưa đúng")
    assert citizen.licences["held"].number not in phone.locator("main").inner_text()
    phone.screenshot(path=screenshot_dir / "citizen-app-documents-vi.png", full_page=True)


def test_a_licence_added_by_its_key_fields(phone: Page, citizen: CitizenServer, screenshot_dir: Path) -> None:
    # The traffic police hold a car and motorcycle licence of the holder's that TK01 did not list.
    record = licence(citizen.context, citizen.holders[1].account.id_number, classes="A1 B")
    at_home(phone)
    phone.get_by_role("link", name="Giấy tờ của tôi").click()
    phone.get_by_role("link", name="Thêm giấy tờ").click()
    expect(phone.locator("h1")).to_have_text("Thêm giấy tờ")
    phone.get_by_label("Loại giấy tờ").select_option("driving_licence")
    # The agency's labels and examples, and the simulated agency said so.
    expect(phone.locator(".key-fields .tag")).to_have_text("Cơ quan mô phỏng (thử nghiệm, không phải cơ quan thật)")
    phone.get_by_label("Số giấy phép lái xe").fill(f"{record.number[:4]} {record.number[4:]}")  # typed with a space
    phone.get_by_label("Hạng").fill("Z")
    phone.get_by_label("Giấy tờ này là của tôi.").check()
    phone.get_by_role("button", name="Gửi cơ quan cấp").click()
    expect(phone.get_by_role("alert")).to_have_text("“Hạng” chưa đúng như in trên giấy tờ (ví dụ: A1).")
    # A class the licence does not carry: the agency does not confirm it, and says no more than that.
    phone.get_by_label("Hạng").fill("c")
    phone.get_by_role("button", name="Gửi cơ quan cấp").click()
    expect(phone.get_by_role("alert")).to_have_text(
        "Cơ quan cấp không xác nhận giấy tờ có các thông tin này với số định danh của bạn. "
        "Hãy đối chiếu từng ô với giấy tờ rồi thử lại."
    )
    phone.screenshot(path=screenshot_dir / "citizen-app-add-licence-refused-vi.png", full_page=True)
    phone.get_by_label("Hạng").fill("b")
    phone.get_by_role("button", name="Gửi cơ quan cấp").click()
    expect(phone.locator("main")).to_contain_text("Xong: cơ quan cấp đã xác thực giấy tờ.")
    phone.screenshot(path=screenshot_dir / "citizen-app-add-licence-vi.png", full_page=True)
    phone.get_by_role("link", name="Giấy tờ của tôi").click()
    expect(listed(phone, record.number).locator(".badge")).to_have_text("Đã xác thực")
    expect(phone.locator("li.document")).to_have_count(5)


def test_a_document_opened_with_the_passcode(phone: Page, citizen: CitizenServer, screenshot_dir: Path) -> None:
    held = citizen.licences["held"]
    at_home(phone)
    phone.get_by_role("link", name="Giấy tờ của tôi").click()
    listed(phone, held.number).get_by_role("link", name="Mở bằng mã PIN").click()
    expect(phone.locator("h1")).to_have_text("Mở giấy tờ")
    phone.get_by_label("Mã PIN (6 số)").fill(WRONG_PASSCODE)
    phone.get_by_role("button", name="Mở bằng mã PIN").click()
    expect(phone.get_by_role("alert")).to_have_text("Mã PIN không đúng. Bạn còn 4 lần thử.")
    phone.get_by_label("Mã PIN (6 số)").fill(PASSCODE)
    phone.get_by_role("button", name="Mở bằng mã PIN").click()
    opened = phone.locator("section.document.opened")
    expect(opened.locator("h2")).to_have_text("Giấy phép lái xe")
    expect(opened.locator(".id-number")).to_have_text(f"Số giấy tờ{held.number}")  # in full, now
    facts = opened.locator("dl.facts")
    for shown in ("Hạng được lái", "A1", "Số điểm còn lại", "12", "Ngày cấp", "01/06/2015", "Công an tỉnh Thái Nguyên"):
        expect(facts).to_contain_text(shown)
    expect(opened.locator(".tag")).to_have_text("Cơ quan mô phỏng (thử nghiệm, không phải cơ quan thật)")
    phone.screenshot(path=screenshot_dir / "citizen-app-document-opened-vi.png", full_page=True)


def test_the_e_id_shown_as_a_qr_code_that_verifies_without_signal(
    phone: Page, citizen: CitizenServer, screenshot_dir: Path
) -> None:
    """The citizen chooses what the e-ID QR shows; the picture on the phone verifies with the trust
    bundle alone (zxing-cpp reads the screenshot), bound to this phone, for about a minute."""
    at_home(phone)
    name = phone.locator(".idcard .name").inner_text()
    phone.get_by_role("link", name="Xuất trình mã QR").click()
    expect(phone.locator("h1")).to_have_text("Xuất trình mã QR")
    phone.get_by_label("số định danh").uncheck()
    phone.get_by_role("button", name="Xuất trình mã QR căn cước").click()
    expect(phone.locator("h1")).to_have_text("Thẻ căn cước điện tử của tôi")
    picture = phone.locator("img.qr")
    expect(picture).to_be_visible()
    expect(phone.locator(".qr-left")).to_contain_text("Còn hiệu lực")
    expect(phone.locator("main")).to_contain_text("Mã cho thấy:")
    phone.screenshot(path=screenshot_dir / "citizen-app-eid-qr-vi.png", full_page=True)
    verdict = verify(picture.screenshot(), trust(citizen), now=dt.datetime.now(dt.UTC))
    assert verdict.valid, verdict.reason
    assert verdict.device_bound
    assert verdict.disclosed["full_name"] == name
    assert "id_number" not in verdict.disclosed  # the citizen chose not to show it
    assert verdict.expires_at is not None
    assert verdict.issued_at is not None
    assert 0 < verdict.expires_at - verdict.issued_at <= 90


def test_a_document_shown_as_a_qr_code_needs_the_passcode(
    phone: Page, citizen: CitizenServer, screenshot_dir: Path
) -> None:
    at_home(phone)
    phone.get_by_role("link", name="Giấy tờ của tôi").click()
    held = listed(phone, citizen.licences["held"].number)
    expect(
        listed(phone, citizen.licences["revoked"].number).get_by_role("link", name="Xuất trình bằng mã QR")
    ).to_have_count(0)
    held.get_by_role("link", name="Xuất trình bằng mã QR").click()
    expect(phone.locator("h1")).to_have_text("Giấy phép lái xe")
    phone.get_by_label("Mã PIN (6 số)").fill(WRONG_PASSCODE)
    phone.get_by_role("button", name="Hiện mã QR").click()
    expect(phone.get_by_role("alert")).to_contain_text("Mã PIN không đúng.")
    expect(phone.locator("img.qr")).to_have_count(0)
    phone.get_by_label("Mã PIN (6 số)").fill(PASSCODE)
    phone.get_by_role("button", name="Hiện mã QR").click()
    picture = phone.locator("img.qr")
    expect(picture).to_be_visible()
    phone.screenshot(path=screenshot_dir / "citizen-app-document-qr-vi.png", full_page=True)
    verdict = verify(picture.screenshot(), trust(citizen), now=dt.datetime.now(dt.UTC))
    assert verdict.valid, verdict.reason
    assert verdict.profile == "driving_licence"
    assert verdict.disclosed["number"] == citizen.licences["held"].number


def trust(citizen: CitizenServer) -> trust_bundle.TrustBundle:
    """The trust bundle a verifier saved while it had signal (the server's own, as /verify fetches it)."""
    with httpx.Client(base_url=citizen.url) as client:
        text = client.get("/api/v1/credentials/trust-bundle").raise_for_status().text
    return trust_bundle.load(text, now=dt.datetime.now(dt.UTC))


def test_the_phones_linked_to_the_account(phone: Page, screenshot_dir: Path) -> None:
    at_home(phone)
    phone.get_by_role("link", name="Bảo mật").click()
    phone.get_by_role("link", name="Điện thoại của tôi").click()
    expect(phone.locator("h1")).to_have_text("Điện thoại của tôi")
    devices = phone.locator("ul.devices li")
    expect(devices).to_have_count(1)
    expect(devices.first).to_contain_text("Điện thoại này")
    expect(devices.first.locator(".badge")).to_have_text("Đang gắn với tài khoản")
    phone.screenshot(path=screenshot_dir / "citizen-app-devices-vi.png", full_page=True)


def test_self_lock_then_unlock(phone: Page, citizen: CitizenServer, screenshot_dir: Path) -> None:
    holder = citizen.holders[1]
    at_home(phone)
    phone.get_by_role("link", name="Bảo mật").click()
    phone.get_by_role("link", name="Khóa tài khoản").click()
    expect(phone.locator("h1")).to_have_text("Khóa tài khoản")
    phone.get_by_label("Mã PIN (6 số)").fill(WRONG_PASSCODE)
    phone.get_by_role("button", name="Khóa tài khoản ngay").click()
    expect(phone.get_by_role("alert")).to_have_text("Mã PIN không đúng. Bạn còn 4 lần thử.")
    phone.screenshot(path=screenshot_dir / "citizen-app-lock-wrong-passcode-vi.png", full_page=True)
    phone.get_by_label("Mã PIN (6 số)").fill(PASSCODE)
    phone.get_by_role("button", name="Khóa tài khoản ngay").click()

    expect(phone.locator("h1")).to_have_text("Mở khóa tài khoản")
    expect(phone.locator("main")).to_contain_text("Tài khoản của bạn đã bị khóa.")
    phone.get_by_role("link", name="Đăng nhập").click()
    log_in(phone)
    expect(phone.get_by_role("alert")).to_contain_text("Tài khoản của bạn đang bị khóa: bạn đã yêu cầu khóa.")

    phone.get_by_role("link", name="Mở khóa tài khoản").click()
    sent = len(codes_sent(citizen.context, holder.account.id))
    expect(phone.get_by_label("Số định danh")).to_have_value(holder.account.id_number)
    phone.get_by_label("Mật khẩu").fill(PASSWORD)
    phone.get_by_role("button", name="Gửi mã cho tôi").click()
    phone.get_by_label("Mã trong tin nhắn SMS").fill(citizen.latest_code(holder, after=sent))
    phone.get_by_label("Mã PIN (6 số)").fill(PASSCODE)
    phone.screenshot(path=screenshot_dir / "citizen-app-unlock-vi.png", full_page=True)
    phone.get_by_role("button", name="Mở khóa").click()
    expect(phone.locator("main")).to_contain_text("Tài khoản đã được mở khóa. Bạn có thể đăng nhập.")
    log_in(phone)
    card_is_shown(phone, holder)

    # The locking history: the lock, its ground in words, and its lifting.
    phone.get_by_role("link", name="Bảo mật").click()
    phone.get_by_role("link", name="Lịch sử khóa").click()
    expect(phone.locator("h1")).to_have_text("Lịch sử khóa")
    locks = phone.locator("ol.locks li")
    expect(locks).to_have_count(1)
    lock = locks.first
    expect(lock.locator(".what")).to_have_text("Khóa theo yêu cầu của bạn")
    expect(lock).to_contain_text("(Bạn)")
    expect(lock.locator(".badge")).to_contain_text("Mở khóa lúc")
    phone.screenshot(path=screenshot_dir / "citizen-app-locks-vi.png", full_page=True)


def test_a_lost_phone_locked_from_another_browser_and_the_account_moved_to_a_new_one(
    browser: Browser, citizen: CitizenServer, screenshot_dir: Path
) -> None:
    holder = citizen.lost
    outside: list[str] = []
    context, page = new_phone(browser, outside)  # a borrowed phone: nothing of the holder's on it

    def with_code(title: str, action: str, *, passcode: bool = False, shot: str | None = None) -> None:
        expect(page.locator("h1")).to_have_text(title)
        sent = len(codes_sent(citizen.context, holder.account.id))
        page.get_by_label("Số định danh").fill(holder.account.id_number)
        page.get_by_label("Mật khẩu").fill(HOLDER_PASSWORD)
        page.get_by_role("button", name="Gửi mã cho tôi").click()
        page.get_by_label("Mã trong tin nhắn SMS").fill(citizen.latest_code(holder, after=sent))
        if passcode:
            page.get_by_label("Mã PIN (6 số)").fill(PASSCODE)
        if shot:
            page.screenshot(path=screenshot_dir / f"citizen-app-{shot}-vi.png", full_page=True)
        page.get_by_role("button", name=action).click()

    page.goto(f"{citizen.url}/app/")
    expect(page.locator("h1")).to_have_text("Chào mừng")
    page.get_by_role("link", name="Tôi bị mất điện thoại").click()
    with_code("Tôi bị mất điện thoại", "Khóa tài khoản của tôi ngay", shot="lost-phone-code")
    expect(page.locator("main")).to_contain_text("Tài khoản của bạn đã bị khóa và điện thoại bị mất đã bị gỡ")
    page.screenshot(path=screenshot_dir / "citizen-app-lost-phone-done-vi.png", full_page=True)

    # On the new phone: unlock, then move the account to it (a new WebCrypto key, bound with an SMS code).
    page.get_by_role("link", name="Mở khóa tài khoản").click()
    with_code("Mở khóa tài khoản", "Mở khóa", passcode=True)
    expect(page.locator("h1")).to_have_text("Chào mừng")  # this phone holds no key yet
    expect(page.locator("main")).to_contain_text(
        "Tài khoản đã được mở khóa. Muốn dùng trên điện thoại này, hãy chuyển tài khoản sang máy này."
    )
    page.get_by_role("link", name="Chuyển tài khoản sang điện thoại này").click()
    with_code("Chuyển tài khoản sang điện thoại này", "Gắn điện thoại này", shot="move-code")
    card_is_shown(page, holder)
    expect(page.locator("main")).to_contain_text("Điện thoại này đã được gắn với tài khoản của bạn.")

    page.get_by_role("link", name="Bảo mật").click()
    page.get_by_role("link", name="Điện thoại của tôi").click()
    devices = page.locator("ul.devices li")
    expect(devices).to_have_count(2)
    expect(devices.nth(0)).to_contain_text("Điện thoại nàyĐang gắn với tài khoản")
    expect(devices.nth(1)).to_contain_text("Điện thoại đã gắn trước đâyKhông còn gắn với tài khoản")
    page.screenshot(path=screenshot_dir / "citizen-app-devices-after-move-vi.png", full_page=True)
    found = in_phone(
        page,
        """const key = await read("keys", "device");
        return { deviceId: key.deviceId, extractable: key.privateKey.extractable };""",
    )
    assert found["extractable"] is False
    expect(devices.nth(0)).to_contain_text(f"Mã máy {found['deviceId'][:8]}")

    page.get_by_role("link", name="Quay lại").click()
    page.get_by_role("link", name="Lịch sử khóa").click()
    locks = page.locator("ol.locks li")
    expect(locks).to_have_count(1)
    expect(locks.first).to_contain_text("Khóa theo yêu cầu của bạnLý do: báo mất điện thoại")
    expect(locks.first.locator(".badge")).to_contain_text("Mở khóa lúc")
    page.screenshot(path=screenshot_dir / "citizen-app-locks-lost-phone-vi.png", full_page=True)
    context.close()
    assert outside == []


def test_reopened_without_the_server_shows_the_last_card_and_its_age(
    phone: Page, citizen: CitizenServer, screenshot_dir: Path
) -> None:
    holder = citizen.holders[1]
    phone.goto(f"{citizen.url}/app/")
    card_is_shown(phone, holder)
    # The service worker has cached the app and controls the page.
    phone.wait_for_function("navigator.serviceWorker.controller !== null", timeout=20000)
    # The card on the phone was saved three hours ago (as after a morning in the fields).
    held = in_phone(phone, 'return (await (await fetch("/api/v1/accounts/me/wallet", { headers: asHolder })).json());')
    phone.get_by_role("link", name="Giấy tờ của tôi").click()
    expect(phone.locator("li.document")).to_have_count(len(held["documents"]))
    phone.get_by_role("link", name="Về thẻ của tôi").click()
    card_is_shown(phone, holder)
    expect(phone.locator(".idcard .as-of")).to_have_text("Cập nhật vừa xong")  # read again, and kept
    in_phone(
        phone,
        """for (const name of ["card", "documents"]) {
          const saved = await read("copies", name);
          saved.saved_at = Date.now() - 3 * 3600 * 1000;
          await write("copies", name, saved);
        }""",
    )
    citizen.thread.stop()
    try:
        phone.reload()
        card_is_shown(phone, holder)
        expect(phone.locator("#banner")).to_have_text(
            "Không có sóng. Đây là thông tin lưu trên máy, cập nhật 3 giờ trước."
        )
        expect(phone.locator(".idcard .as-of")).to_have_text("Cập nhật 3 giờ trước")
        portrait_is_shown(phone, "image/jpeg")  # kept on the phone with the card
        phone.screenshot(path=screenshot_dir / "citizen-app-offline-card-vi.png", full_page=True)
        phone.get_by_role("link", name="Giấy tờ của tôi").click()
        expect(phone.locator("h1")).to_have_text("Giấy tờ của tôi")
        expect(phone.locator("li.document")).to_have_count(len(held["documents"]))
        expect(phone.locator("main .as-of")).to_have_text("Cập nhật 3 giờ trước")
        expect(phone.get_by_role("link", name="Thêm giấy tờ")).to_have_count(0)  # nothing to send it to
        phone.screenshot(path=screenshot_dir / "citizen-app-offline-documents-vi.png", full_page=True)
    finally:
        citizen.thread.start()
