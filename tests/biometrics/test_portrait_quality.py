"""The kit's portrait check on real photos: every vendored portrait passes, each degradation fails for its reason."""

from __future__ import annotations

import functools

import pytest
from tests.factories import OTHERS, SAME_PERSON, portrait, transformed, two_faces

from civicid.biometrics.portrait_quality import PortraitChecker, PortraitProblem

pytestmark = pytest.mark.slow


@functools.cache
def checker() -> PortraitChecker:
    return PortraitChecker()


@pytest.mark.parametrize("name", [*SAME_PERSON, *OTHERS])
def test_every_vendored_portrait_passes(name: str) -> None:
    quality = checker().check(portrait(name))
    assert quality.acceptable, quality
    assert quality.faces == 1


@pytest.mark.parametrize("how", ["crop", "rotate", "light", "jpeg"])
def test_the_mated_transforms_still_pass(how: str) -> None:
    assert checker().check(transformed("obama-1", how)).acceptable


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("blur", PortraitProblem.BLURRED),
        ("dark", PortraitProblem.TOO_DARK),
        ("bright", PortraitProblem.TOO_BRIGHT),
        ("tilt", PortraitProblem.NOT_FRONTAL),
        ("far", PortraitProblem.FACE_TOO_SMALL),
    ],
)
def test_each_degradation_is_refused_for_its_reason(how: str, problem: PortraitProblem) -> None:
    quality = checker().check(transformed("obama-1", how))
    assert problem in quality.problems, quality


def test_no_face_two_faces_and_not_an_image() -> None:
    assert checker().check(portrait("no-face")).problems == (PortraitProblem.NO_FACE,)
    assert checker().check(two_faces()).problems == (PortraitProblem.SEVERAL_FACES,)
    assert checker().check(b"not an image").problems == (PortraitProblem.UNREADABLE,)
