"""The security questions a holder chooses two of at activation: a fixed list, each with a stable id.

The app shows the texts; the server keeps only the ids and the answers' Argon2id hashes, and refuses
an id not on this list. Ids are never renamed or reused (they are stored with the answers); a
question is retired by leaving it out of :data:`OFFERED`.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicid.accounts.errors import InvalidHolderInput


@dataclass(frozen=True)
class SecurityQuestion:
    id: str
    vi: str
    en: str


#: Questions whose answers a villager knows and a stranger does not easily learn; no official ID numbers.
OFFERED: tuple[SecurityQuestion, ...] = (
    SecurityQuestion("first_school", "Tên trường tiểu học đầu tiên của bạn?", "The name of your first primary school?"),
    SecurityQuestion("mother_village", "Quê của mẹ bạn ở thôn/bản nào?", "Which village does your mother come from?"),
    SecurityQuestion("first_teacher", "Tên thầy/cô giáo đầu tiên của bạn?", "The name of your first teacher?"),
    SecurityQuestion(
        "childhood_friend", "Tên người bạn thân thời thơ ấu?", "The name of your closest childhood friend?"
    ),
    SecurityQuestion(
        "first_buffalo", "Tên con trâu/bò đầu tiên nhà bạn nuôi?", "The name of your family's first buffalo or cow?"
    ),
    SecurityQuestion("favourite_dish", "Món ăn bạn thích nhất khi còn nhỏ?", "Your favourite dish as a child?"),
    SecurityQuestion("grandfather_name", "Tên ông nội của bạn?", "Your paternal grandfather's name?"),
    SecurityQuestion("wedding_place", "Bạn tổ chức đám cưới ở đâu?", "Where was your wedding held?"),
)
_BY_ID = {question.id: question for question in OFFERED}


def checked_question(question_id: str) -> str:
    """The id itself if the app offers that question; :class:`InvalidHolderInput` otherwise."""
    if question_id not in _BY_ID:
        raise InvalidHolderInput("the security question is not one the app offers", field="answers")
    return question_id
