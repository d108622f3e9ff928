"""The SMS catalogue: each template code's text in Vietnamese (the default) and English.

Texts carry only what the recipient needs to act: never a name, an ID number or a date of birth,
since an SMS is read on lock screens and kept by the carrier.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicid.notify.errors import UnknownTemplate

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


@dataclass(frozen=True)
class Message:
    vi: str
    en: str
    # The text carries a one-time code: staff pages never show it (it would let them act as the holder).
    secret: bool = False

    def text(self, language: str) -> str:
        return self.en if language == "en" else self.vi


CATALOGUE: dict[str, Message] = {
    "application_approved": Message(
        vi="CivicID: hồ sơ định danh điện tử mức 2 của bạn đã được duyệt. Mở ứng dụng để kích hoạt tài khoản.",
        en="CivicID: your level-2 e-ID application was approved. Open the app to activate your account.",
    ),
    "application_rejected": Message(
        vi="CivicID: hồ sơ định danh điện tử mức 2 của bạn chưa được duyệt. Vui lòng liên hệ công an xã.",
        en="CivicID: your level-2 e-ID application was not approved. Please contact the commune police.",
    ),
    "child_card_approved": Message(
        vi="CivicID: hồ sơ cấp thẻ căn cước cho con của bạn đã được duyệt. Công an xã sẽ báo ngày nhận thẻ.",
        en="CivicID: the ID card application for your child was approved. The commune police will tell you "
        "when to collect the card.",
    ),
    "activation_code": Message(
        vi="CivicID: mã kích hoạt của bạn là {code}, hiệu lực {minutes} phút. Không chia sẻ mã này với ai.",
        en="CivicID: your activation code is {code}, valid for {minutes} minutes. Do not share it with anyone.",
        secret=True,
    ),
    "new_device_code": Message(
        vi="CivicID: mã xác nhận đăng nhập trên thiết bị mới là {code}, hiệu lực {minutes} phút. Thiết bị cũ sẽ bị "
        "hủy liên kết. Không chia sẻ mã này với ai.",
        en="CivicID: your code to log in on a new device is {code}, valid for {minutes} minutes. The old device "
        "will be unbound. Do not share it with anyone.",
        secret=True,
    ),
    "lost_phone_code": Message(
        vi="CivicID: mã khóa tài khoản do mất điện thoại là {code}, hiệu lực {minutes} phút. Nếu bạn không yêu cầu, "
        "hãy đổi mật khẩu ngay.",
        en="CivicID: your code to lock your account for a lost phone is {code}, valid for {minutes} minutes. If you "
        "did not ask for it, change your password now.",
        secret=True,
    ),
    "idp_login_code": Message(
        vi="CivicID: mã đăng nhập dịch vụ công là {code}, hiệu lực {minutes} phút. Không chia sẻ mã này với ai.",
        en="CivicID: your code to sign in to a public service is {code}, valid for {minutes} minutes. Do not share it.",
        secret=True,
    ),
    "unlock_code": Message(
        vi="CivicID: mã mở khóa tài khoản định danh điện tử là {code}, hiệu lực {minutes} phút. Không chia sẻ mã này.",
        en="CivicID: your code to unlock your e-ID account is {code}, valid for {minutes} minutes. Do not share it.",
        secret=True,
    ),
    "signature_activation_code": Message(
        vi="CivicID: mã kích hoạt chữ ký số là {code}, hiệu lực {minutes} phút. Không chia sẻ mã này với ai.",
        en="CivicID: your code to activate your digital signature is {code}, valid for {minutes} minutes. "
        "Do not share it with anyone.",
        secret=True,
    ),
}


def render(template: str, params: dict[str, str], language: str = DEFAULT_LANGUAGE) -> str:
    """The text of ``template`` in ``language`` with ``params`` filled in."""
    message = CATALOGUE.get(template)
    if message is None:
        raise UnknownTemplate(f"no SMS template {template!r}", template=template)
    try:
        return message.text(language).format(**params)
    except (KeyError, IndexError) as exc:
        raise UnknownTemplate(f"SMS template {template!r} needs parameter {exc}", template=template) from exc
