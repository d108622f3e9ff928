"""Everyone gets an account, on a 360 × 740 phone in Debian's Chromium: level-1 self-registration with an
uploaded photo of the card's QR and a selfie (refused first with the portrait of someone else), a level-2
parent adding a child in the app, and an operator's assisted activation at the commune office.

The server is this module's own: a small demo commune. The selfie is the simulator's drawn portrait (the
face match is simulated, and the screen says so); the card's QR is rendered with segno in the 2021 card's
format and decoded on the server by zxing-cpp.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from tests.browser.conftest import PHONE, StaffPage
from tests.browser.test_citizen_app import Holder, activate
from tests.factories import OFFICER, card_qr_png, codes_sent, link_guardian, registered_person, selfie_of
from tests.factories import issued_account as issue
from tests.factories.agencies import health_card

from civicid.accounts import service as accounts
from civicid.accounts.hashing import FAST
from civicid.app import create_app
from civicid.core.clock import SystemClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context, open_context
from civicid.core.settings import Settings
from civicid.country.sex import Sex
from civicid.country.zone import TIME_ZONE
from civicid.registry import service as registry
from civicid.registry.schemas import PersonRead
from civicid.sim.demo import build_demo
from civicid.web.serving import ServerThread

pytestmark = pytest.mark.browser


@dataclass
class EveryoneServer:
    context: Context
    thread: ServerThread
    adults: list[PersonRead]  # residents 14 and over without an account

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
def everyone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EveryoneServer]:
    context = open_context(Settings(data_dir=tmp_path_factory.mktemp("everyone")), clock=SystemClock(zone=TIME_ZONE))
    demo = build_demo(context=context, people=40)
    with unit_of_work(context.database.sessions) as session:
        ids = registry.enrollable_adults(
            session=session, commune_code=demo.commune_code, reference_date=context.clock.today()
        )
        adults = [registry.get_person(session=session, clock=context.clock, actor=OFFICER, person_id=i) for i in ids]
    app = create_app(context)
    app.state.secret_hasher = FAST
    thread = ServerThread(app)
    thread.start()
    yield EveryoneServer(context, thread, adults)
    thread.stop()
    context.database.close()


def new_phone(browser: Browser) -> Page:
    return browser.new_context(viewport=PHONE, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh").new_page()


def test_level_1_on_the_phone_refuses_someone_elses_face_then_opens_the_account(
    browser: Browser, everyone: EveryoneServer, tmp_path: Path, screenshot_dir: Path
) -> None:
    person, stranger = everyone.adults[0], everyone.adults[1]
    card = tmp_path / "the-back-of-my-card.png"
    card.write_bytes(card_qr_png(person))
    wrong_face = tmp_path / "someone-else.svg"
    wrong_face.write_bytes(selfie_of(stranger))
    my_face = tmp_path / "me.svg"
    my_face.write_bytes(selfie_of(person))

    page = new_phone(browser)
    page.goto(f"{everyone.url}/app/#/welcome")
    page.get_by_role("link", name="Mở tài khoản mức 1").click()
    expect(page.locator("h1")).to_have_text("Mở tài khoản định danh mức 1")
    expect(page.locator("main")).to_contain_text("mô phỏng")  # the face match says it is simulated
    page.get_by_label("Số định danh").fill(person.id_number)
    page.get_by_label("Số điện thoại").fill("0913000001")
    page.get_by_label("Ảnh chân dung tự chụp").set_input_files(str(wrong_face))
    page.get_by_label("Ảnh mã QR trên thẻ").set_input_files(str(card))
    page.get_by_role("button", name="Kiểm tra và mở tài khoản").click()
    expect(page.get_by_role("alert")).to_contain_text("Ảnh chân dung không khớp")
    page.screenshot(path=screenshot_dir / "everyone-level1-refused-vi.png", full_page=True)

    page.get_by_label("Ảnh chân dung tự chụp").set_input_files(str(my_face))
    page.get_by_role("button", name="Kiểm tra và mở tài khoản").click()
    expect(page.locator("h1")).to_have_text("Mã trong tin nhắn")
    expect(page.locator("main")).to_contain_text("Tài khoản mức 1 đã được mở")
    page.screenshot(path=screenshot_dir / "everyone-level1-code-vi.png", full_page=True)
    with unit_of_work(everyone.context.database.sessions) as session:
        account = accounts.get_account_by_person(session=session, person_id=person.id)
    assert account.level == 1
    assert account.phone == "0913000001"
    page.context.close()


def test_a_level_2_parent_adds_a_child_and_asks_for_the_childs_card_in_the_app(
    browser: Browser, everyone: EveryoneServer, tmp_path: Path, screenshot_dir: Path
) -> None:
    parent = everyone.adults[2]
    child = registered_person(everyone.context, parent.household_id, "Lò Văn An", dt.date(2022, 6, 1), Sex.MALE)
    link_guardian(everyone.context, child, parent.id, "father")
    holder = Holder(issue(everyone.context, parent, phone="0913000002"), "0913000002")
    page = new_phone(browser)
    activate(page, everyone, holder)  # type: ignore[arg-type] - duck-typed: url and latest_code
    page.get_by_role("link", name="Con của tôi").click()
    expect(page.locator("h1")).to_have_text("Con của tôi")
    expect(page.locator("main")).to_contain_text("Chưa có tài khoản của con.")
    page.get_by_label("Số định danh").fill(child.id_number)
    page.get_by_role("button", name="Thêm con").click()
    expect(page.locator("li.child")).to_contain_text("Lò Văn An")
    expect(page.locator("li.child")).to_contain_text("Dưới 6 tuổi")
    page.screenshot(path=screenshot_dir / "everyone-children-vi.png", full_page=True)
    # Under 6: the card is asked for here, with the child's photo and the parent's confirmation.
    photo = tmp_path / "child.svg"
    photo.write_bytes(selfie_of(child))
    page.get_by_label("Ảnh của con để làm thẻ").set_input_files(str(photo))
    page.get_by_label("Tôi xác nhận đây là con tôi").check()
    page.get_by_role("button", name="Đề nghị cấp thẻ căn cước cho con").click()
    expect(page.locator("li.child")).to_contain_text("Đã gửi đề nghị")
    # The child's health-insurance card, added by the parent with its key fields.
    card = health_card(everyone.context, child.id_number)
    page.get_by_role("link", name="Thêm giấy tờ của con").click()
    expect(page.locator("h1")).to_have_text("Thêm giấy tờ của con")
    page.get_by_label("Loại giấy tờ").select_option("health_insurance")
    page.get_by_label("Mã số bảo hiểm xã hội").fill(card.number)
    page.get_by_label("Mã đơn vị cấp thẻ").fill(card.issuing_unit)
    page.get_by_label("Giấy tờ này là của con tôi.").check()
    page.get_by_role("button", name="Gửi cơ quan cấp").click()
    expect(page.locator("main")).to_contain_text("Xong: cơ quan cấp đã xác thực giấy tờ.")
    page.screenshot(path=screenshot_dir / "everyone-child-document-added-vi.png", full_page=True)
    page.get_by_role("link", name="Con của tôi").click()
    page.get_by_role("button", name="Giấy tờ của con").click()
    expect(page.locator("ul.child-documents")).to_contain_text("Thẻ bảo hiểm y tế")
    page.context.close()


def test_an_operator_activates_an_elders_account_face_to_face_with_a_relatives_phone(
    everyone: EveryoneServer, staff_page: StaffPage, screenshot_dir: Path
) -> None:
    elder = everyone.adults[3]
    page = staff_page(everyone.url, "operator")
    expect(page.locator(".who")).to_contain_text("operator")
    page.goto(f"{everyone.url}/accounts/persons/{elder.id}/assisted")
    expect(page.locator("h1")).to_contain_text(elder.full_name)
    expect(page.locator("figure.portrait")).to_contain_text("mô phỏng")
    page.wait_for_function("document.querySelector('figure.portrait img').naturalWidth > 0")
    page.get_by_label("Tôi đã đối chiếu").check()
    page.get_by_label("Người dân đồng ý").check()
    page.get_by_label("Hiện trên màn hình này").check()
    page.get_by_label("Số điện thoại người dân chọn").fill("0913000099")
    page.get_by_label("Điện thoại của ai").select_option("grandchild")
    page.get_by_role("button", name="Ghi nhận đồng ý và đưa mã").click()
    code = page.locator("#assisted-code").inner_text().strip()
    assert len(code) == 6
    page.screenshot(path=screenshot_dir / "everyone-assisted-code-vi.png", full_page=True)
    page.get_by_label("Mã (6 chữ số)").fill(code)
    page.get_by_role("button", name="Kích hoạt").click()
    expect(page.locator("main")).to_contain_text("Tài khoản đã được kích hoạt")
    expect(page.locator("#account-status")).to_have_text("đang hoạt động")
    page.screenshot(path=screenshot_dir / "everyone-assisted-done-vi.png", full_page=True)
    page.context.close()
