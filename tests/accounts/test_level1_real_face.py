"""Level 1 with the registry's card photos and the real face model (dlib): the composition a deployment
gets when it names the folder of photos exported from the population database (decision 0052).

The photos are the vendored real portraits of tests/biometrics/faces (three of one man, two others).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.factories import MakePerson, audit_actions, register_level1

from civicid.accounts import level1
from civicid.accounts.errors import Level1Refused
from civicid.biometrics.dlib_face import dlib_available
from civicid.core.runtime import Context
from civicid.country.sex import Sex
from civicid.plugins import plugins_for
from civicid.registry.schemas import PersonRead

pytestmark = pytest.mark.skipif(not dlib_available(), reason="dlib-bin and face-recognition-models are not installed")

FACES = Path(__file__).resolve().parents[1] / "biometrics" / "faces"


@pytest.fixture
def holder(make_person: MakePerson) -> PersonRead:
    return make_person("Lò Văn Chiến", dt.date(1990, 5, 17), Sex.MALE)


@pytest.fixture
def faces(context: Context, holder: PersonRead, tmp_path: Path) -> level1.FaceCheck:
    """The registry's photo of the holder is one picture of a man; the selfies are others."""
    (tmp_path / f"{holder.id_number}.jpg").write_bytes((FACES / "obama-1.jpg").read_bytes())
    settings = context.settings.model_copy(update={"registry_portraits_dir": tmp_path, "simulated_biometrics": False})
    plugins = plugins_for(settings)
    assert "face_check" not in plugins.simulated
    return plugins.face_check()


def _selfie(name: str) -> bytes:
    return (FACES / name).read_bytes()


def test_another_photo_of_the_same_person_opens_the_account(
    context: Context, holder: PersonRead, faces: level1.FaceCheck
) -> None:
    assert not faces.simulated
    done = register_level1(context, holder, selfie=_selfie("obama-2.jpg"), faces=faces)
    assert isinstance(done, level1.Level1Registered), done
    assert [d["simulated"] for d in audit_actions(context, "account.level1_register")] == [False]


@pytest.mark.parametrize(
    ("selfie", "reason"),
    [
        pytest.param("biden.jpg", "not_same_person", id="someone-elses-face-is-not-the-same-person"),
        pytest.param("no-face.jpg", "no_face", id="a-picture-without-a-face-is-no-face"),
    ],
)
def test_a_selfie_that_is_not_the_holder_is_refused_with_the_reason(
    context: Context, holder: PersonRead, faces: level1.FaceCheck, selfie: str, reason: str
) -> None:
    assert _refusal(register_level1(context, holder, selfie=_selfie(selfie), faces=faces)) == reason


def test_a_person_the_export_has_no_photo_of_is_not_recognised(
    context: Context, make_person: MakePerson, faces: level1.FaceCheck
) -> None:
    stranger = make_person("Hà Thị Lan", dt.date(1992, 1, 9), Sex.FEMALE)
    assert _refusal(register_level1(context, stranger, selfie=_selfie("obama-2.jpg"), faces=faces)) == "not_same_person"


def _refusal(outcome: object) -> str:
    assert isinstance(outcome, Level1Refused), outcome
    return str(outcome.extensions["reason"])
