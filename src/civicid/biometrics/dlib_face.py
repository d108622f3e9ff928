"""Face templates from dlib's 128-d ResNet: the only offline face recogniser on PyPI (research/biometrics.md §1).

Optional extra (``civicid[face]``: ``dlib-bin`` and ``face-recognition-models``, 137 MB).
Nothing is imported until an extractor is built, so the package works without them. HOG detection
(59 ms/face on 2 vCPU; the CNN detector takes 4 s) and the 5-point landmark model (public domain;
the 68-point one is trained on data excluding commercial use). dlib's descriptor is not unit-norm
and is compared by L2 < 0.6; normalised, that rule is roughly cosine ≥ 0.82 (see ``dedup.py``).
Good enough for demos and tests, far from a national-dedup matcher.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from typing import Any

import numpy as np

from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.ports import Template, TemplateKey

MODEL = "dlib-resnet-128"
VERSION = "1"


def dlib_available() -> bool:
    try:
        importlib.import_module("dlib")
        importlib.import_module("face_recognition_models")
    except ImportError:
        return False
    return True


class DlibFaceExtractor:
    """Largest detected face → 128-d descriptor, normalised. Loading the models takes ~2 s: build once."""

    def __init__(self, *, num_jitters: int = 1) -> None:
        try:
            dlib: Any = importlib.import_module("dlib")
            models: Any = importlib.import_module("face_recognition_models")
        except ImportError as exc:
            raise RuntimeError("the dlib face extractor needs the extra: pip install 'civicid[face]'") from exc
        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self._encoder = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        self._jitters = num_jitters

    @property
    def key(self) -> TemplateKey:
        return TemplateKey("face", MODEL, VERSION, 128)

    def extract(self, image: bytes) -> Template:
        pixels = self._decode(image)
        faces = list(self._detector(pixels, 1))
        if not faces:
            raise ExtractionFailed("no face found in the image")
        face = max(faces, key=lambda box: box.area())
        shape = self._landmarks(pixels, face)
        descriptor = np.asarray(self._encoder.compute_face_descriptor(pixels, shape, self._jitters))
        # Quality proxy: the face's share of the image, saturating at a 150 px face (dlib's chip size).
        quality = min(1.0, min(face.width(), face.height()) / 150.0)
        return Template.from_raw(modality="face", model=MODEL, model_version=VERSION, raw=descriptor, quality=quality)

    def _decode(self, image: bytes) -> Any:
        # dlib decodes only from a file; a private temporary file keeps the extra free of Pillow.
        fd, path = tempfile.mkstemp(prefix="civicid-face-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(image)
            return self._dlib.load_rgb_image(path)
        except RuntimeError as exc:
            raise ExtractionFailed("the image could not be decoded") from exc
        finally:
            os.unlink(path)
