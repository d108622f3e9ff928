"""The guides, one per step a citizen or a helper takes, in plain Vietnamese and in English.

The same sentences make the page, the printed sheet an operator hands out, and the speech
(``audio.py``): what is heard is what is read. Sentences are short, one action each, in the words
the app's buttons use.
"""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Guide:
    title: str
    steps: tuple[str, ...]

    def speech(self) -> str:
        """The text spoken: the title, then each step as its own sentence."""
        return ". ".join((self.title, *(step.rstrip(".") for step in self.steps))) + "."


GUIDES: dict[str, dict[str, Guide]] = {
    "activate": {
        "vi": Guide(
            "Kích hoạt tài khoản định danh điện tử",
            (
                "Mở ứng dụng CivicID trên điện thoại.",
                "Bấm Kích hoạt tài khoản.",
                "Nhập số định danh mười hai chữ số trên thẻ căn cước, và số điện thoại của bạn.",
                "Chờ tin nhắn có mã sáu chữ số, rồi nhập mã.",
                "Đặt mật khẩu có chữ hoa, chữ thường, chữ số và ký tự đặc biệt.",
                "Đặt mã bảo vệ sáu chữ số và trả lời hai câu hỏi bảo mật.",
                "Chưa có tài khoản? Bấm Mở tài khoản mức một, chụp ảnh khuôn mặt và ảnh mã QR trên thẻ.",
            ),
        ),
        "en": Guide(
            "Activate your e-ID account",
            (
                "Open the CivicID app on your phone.",
                "Press Activate my account.",
                "Type the twelve-digit ID number from your ID card, and your phone number.",
                "Wait for the text message with a six-digit code, then type the code.",
                "Choose a password with upper case, lower case, a digit and a special character.",
                "Choose a six-digit passcode and answer two security questions.",
                "No account yet? Press Open a level-one account, take a selfie and a photo of your card's QR code.",
            ),
        ),
    },
    "add_document": {
        "vi": Guide(
            "Thêm giấy tờ vào ví",
            (
                "Đăng nhập ứng dụng.",
                "Bấm Giấy tờ của tôi, rồi bấm Thêm giấy tờ.",
                "Chọn loại giấy tờ: giấy phép lái xe, đăng ký xe hoặc thẻ bảo hiểm y tế.",
                "Nhập số giấy tờ đúng như in trên giấy.",
                "Cơ quan cấp xác nhận, giấy tờ hiện trong ví.",
            ),
        ),
        "en": Guide(
            "Add a document to your wallet",
            (
                "Log in to the app.",
                "Press My documents, then Add a document.",
                "Choose the kind: driving licence, vehicle registration or health-insurance card.",
                "Type the document's number exactly as printed.",
                "The issuing agency confirms it, and the document shows in your wallet.",
            ),
        ),
    },
    "show_qr": {
        "vi": Guide(
            "Xuất trình mã QR",
            (
                "Mở ứng dụng, thẻ căn cước điện tử hiện ngay.",
                "Bấm vào giấy tờ cần xuất trình để hiện mã QR.",
                "Đưa màn hình cho người kiểm tra quét mã.",
                "Không có sóng vẫn xuất trình được mã đã lưu.",
                "Người không có điện thoại dùng thẻ giấy có mã QR do công an xã in.",
            ),
        ),
        "en": Guide(
            "Show a QR code",
            (
                "Open the app: your e-ID card shows at once.",
                "Press the document to show its QR code.",
                "Hold the screen for the checker to scan.",
                "Without signal you can still show the saved code.",
                "Without a phone, use the paper card with its QR code, printed by the commune police.",
            ),
        ),
    },
    "lock": {
        "vi": Guide(
            "Khóa tài khoản",
            (
                "Đăng nhập ứng dụng, bấm Bảo mật.",
                "Bấm Khóa tài khoản và nhập mã bảo vệ.",
                "Tài khoản bị khóa, mọi phiên đăng nhập kết thúc.",
                "Để mở khóa, bấm Mở khóa và làm theo hướng dẫn, hoặc đến công an xã.",
            ),
        ),
        "en": Guide(
            "Lock your account",
            (
                "Log in to the app and press Security.",
                "Press Lock my account and type your passcode.",
                "The account locks and every session ends.",
                "To unlock it, press Unlock and follow the steps, or go to the commune police.",
            ),
        ),
    },
    "lost_phone": {
        "vi": Guide(
            "Mất điện thoại",
            (
                "Dùng điện thoại hoặc máy tính khác, mở ứng dụng CivicID.",
                "Bấm Mất điện thoại.",
                "Nhập số định danh và mật khẩu.",
                "Nhập mã gửi đến số điện thoại của bạn: thẻ SIM mới cùng số vẫn nhận được.",
                "Tài khoản bị khóa và điện thoại cũ bị gỡ. Sau đó mở khóa và chuyển tài khoản sang điện thoại mới.",
            ),
        ),
        "en": Guide(
            "Lost phone",
            (
                "On another phone or computer, open the CivicID app.",
                "Press I lost my phone.",
                "Type your ID number and password.",
                "Type the code sent to your phone number: a new SIM card with the same number receives it.",
                "The account locks and the lost phone is removed. Then unlock it and move it to your new phone.",
            ),
        ),
    },
    "relative": {
        "vi": Guide(
            "Giúp người thân",
            (
                "Người không có điện thoại thông minh đến công an xã cùng thẻ căn cước.",
                "Cán bộ đối chiếu khuôn mặt với ảnh và hỏi ý kiến đồng ý.",
                "Mã được gửi đến điện thoại của người thân tin cậy, hoặc hiện trên màn hình của cán bộ.",
                "Người dân tự nhập mã. Tài khoản dùng tại công an xã và bằng thẻ giấy.",
                "Một điện thoại của người thân giúp được tối đa năm người, mỗi người một tài khoản riêng.",
                "Cha mẹ có tài khoản mức hai thêm con dưới mười bốn tuổi trong mục Con của tôi.",
            ),
        ),
        "en": Guide(
            "Help a relative",
            (
                "Someone without a smartphone goes to the commune police with their ID card.",
                "The officer compares their face with the portrait and asks for their consent.",
                "The code goes to a trusted relative's phone, or shows on the officer's screen.",
                "The person types the code. The account is then used at the office and with the paper card.",
                "One relative's phone can help at most five people, each with a separate account.",
                "Parents with a level-two account add children under fourteen in My children.",
            ),
        ),
    },
}
STEPS = tuple(GUIDES)


def guide(step: str, language: str) -> Guide | None:
    by_language = GUIDES.get(step)
    if by_language is None:
        return None
    return by_language.get(language) or by_language["vi"]
