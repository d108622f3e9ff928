"""Is this portrait fit for the card and for 1:N? Checked on the kit, offline, before "saved".

In the spirit of ISO/IEC 19794-5 (face image data, "full frontal" type) and ICAO Doc 9303 part 3's
portrait rules, reduced to what a kit can measure with dlib's detector and its 5 landmarks:

* exactly one face (19794-5 §8.2: one subject; a second face in the frame is a different record);
* large enough: the face box at least :data:`MIN_FACE_PX` pixels wide and :data:`MIN_FACE_SHARE`
  of the image width (ICAO: the head is 50–75 % of the width; we are lenient with a phone held far);
* roughly frontal: the eye line within :data:`MAX_ROLL_DEGREES` of horizontal (19794-5 §7.2.2 allows
  ±5° for the best class; a kit tolerates more) and the nose base within
  :data:`MAX_YAW_SHIFT` eye-distances of the eyes' midpoint (a turned head, ICAO's "looking at the camera");
* exposure: the face's mean luminance between :data:`MIN_BRIGHTNESS` and :data:`MAX_BRIGHTNESS`,
  out of 255 (ICAO: no over- or under-exposure of the face);
* sharpness: the variance of the Laplacian of the face, scaled to 150 px, at least :data:`MIN_SHARPNESS`
  (ICAO: in focus, no motion blur).

The thresholds were chosen on the vendored test portraits and their documented degradations
(``tests/biometrics/faces/README.md``): every original passes, every degradation fails for its reason.
A supervisor may accept a portrait that fails (an elder, a disability) with a reason, recorded on the
application (``field/capture.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from PIL import Image

from civicid.biometrics.dlib_face import DlibModels, FaceBox, Pixels, decode, shared_models
from civicid.biometrics.errors import ExtractionFailed

MIN_FACE_PX = 80
MIN_FACE_SHARE = 0.18
MAX_ROLL_DEGREES = 15.0
MAX_YAW_SHIFT = 0.35
MIN_BRIGHTNESS = 60.0
MAX_BRIGHTNESS = 200.0
MIN_SHARPNESS = 40.0
_CHIP = 150


class PortraitProblem(StrEnum):
    """Why a portrait is refused; the kit's pages translate each into a sentence for the operator."""

    UNREADABLE = "unreadable"
    NO_FACE = "no_face"
    SEVERAL_FACES = "several_faces"
    FACE_TOO_SMALL = "face_too_small"
    NOT_FRONTAL = "not_frontal"
    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    BLURRED = "blurred"


@dataclass(frozen=True)
class PortraitQuality:
    """The measurements and the problems found; no problem means the portrait may be saved."""

    faces: int
    face_px: int | None = None
    roll_degrees: float | None = None
    yaw_shift: float | None = None
    brightness: float | None = None
    sharpness: float | None = None
    problems: tuple[PortraitProblem, ...] = ()

    @property
    def acceptable(self) -> bool:
        return not self.problems


class PortraitChecker:
    """Measures a portrait with the shared dlib models (``dlib_face.shared_models``)."""

    def __init__(self, models: DlibModels | None = None) -> None:
        self._models = models or shared_models()

    def check(self, image: bytes) -> PortraitQuality:
        try:
            pixels = decode(image)
        except ExtractionFailed:
            return PortraitQuality(faces=0, problems=(PortraitProblem.UNREADABLE,))
        faces = self._models.faces(pixels)
        if not faces:
            return PortraitQuality(faces=0, problems=(PortraitProblem.NO_FACE,))
        if len(faces) > 1:
            return PortraitQuality(faces=len(faces), problems=(PortraitProblem.SEVERAL_FACES,))
        return measure(pixels, faces[0])


def measure(pixels: Pixels, face: FaceBox) -> PortraitQuality:
    """The checks on the one face found; each failed check adds its problem."""
    problems: list[PortraitProblem] = []
    width = pixels.shape[1]
    if face.width < MIN_FACE_PX or face.width < MIN_FACE_SHARE * width:
        problems.append(PortraitProblem.FACE_TOO_SMALL)
    roll, yaw = _pose(face)
    if abs(roll) > MAX_ROLL_DEGREES or abs(yaw) > MAX_YAW_SHIFT:
        problems.append(PortraitProblem.NOT_FRONTAL)
    grey = _face_chip(pixels, face)
    brightness = float(grey.mean())
    if brightness < MIN_BRIGHTNESS:
        problems.append(PortraitProblem.TOO_DARK)
    elif brightness > MAX_BRIGHTNESS:
        problems.append(PortraitProblem.TOO_BRIGHT)
    sharpness = _laplacian_variance(grey)
    if sharpness < MIN_SHARPNESS:
        problems.append(PortraitProblem.BLURRED)
    return PortraitQuality(
        faces=1,
        face_px=face.width,
        roll_degrees=round(roll, 1),
        yaw_shift=round(yaw, 2),
        brightness=round(brightness, 1),
        sharpness=round(sharpness, 1),
        problems=tuple(problems),
    )


def _pose(face: FaceBox) -> tuple[float, float]:
    """Roll (degrees) and yaw proxy from dlib's 5 points: 0–1 one eye's corners, 2–3 the other's, 4 nose base."""
    (a0, a1, b0, b1, nose) = face.landmarks[:5]
    first = ((a0[0] + a1[0]) / 2, (a0[1] + a1[1]) / 2)
    second = ((b0[0] + b1[0]) / 2, (b0[1] + b1[1]) / 2)
    left, right = sorted((first, second))
    dx, dy = right[0] - left[0], right[1] - left[1]
    eye_distance = math.hypot(dx, dy) or 1.0
    roll = math.degrees(math.atan2(dy, dx))
    # The nose base's offset from the eyes' midpoint, along the eye line, in eye distances.
    mid = ((left[0] + right[0]) / 2, (left[1] + right[1]) / 2)
    yaw = ((nose[0] - mid[0]) * dx + (nose[1] - mid[1]) * dy) / (eye_distance * eye_distance)
    return roll, yaw


def _face_chip(pixels: Pixels, face: FaceBox) -> np.ndarray:
    """The face box in grey (ITU-R BT.601 luma), scaled to 150×150 so that sharpness compares across sizes."""
    height, width = pixels.shape[:2]
    box = (max(0, face.left), max(0, face.top), min(width, face.right), min(height, face.bottom))
    if box[2] - box[0] < 2 or box[3] - box[1] < 2:
        return np.zeros((_CHIP, _CHIP), dtype=np.float64)
    chip = Image.fromarray(pixels).crop(box).convert("L").resize((_CHIP, _CHIP), Image.Resampling.BILINEAR)
    return np.asarray(chip, dtype=np.float64)


def _laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian: low when the image has no sharp edges (Pech-Pacheco et al., 2000)."""
    lap = -4 * grey[1:-1, 1:-1] + grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:]
    return float(lap.var())
