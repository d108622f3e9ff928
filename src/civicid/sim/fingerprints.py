"""Deterministic synthetic fingerprints: ridge patterns with real minutiae, and their impressions.

The fingerprint matcher (``nbis-py``, NIST mindtct + bozorth3) works on images, and no
fingerprint image may be used in tests or demos. This generator follows SFinGe's idea (Cappelli,
Maio, Maltoni): a *master* finger is a ridge pattern grown from random noise by repeatedly
filtering it with Gabor filters that follow an orientation field, so that ridges end and fork where
the noise forces them to, as minutiae do. An *impression* is what a scanner returns on one touch:
the master rotated and shifted a little, seen through an elliptical contact area, with its own
contrast and sensor noise. Two impressions of one finger are mated; impressions of two fingers
are not.

Everything is numpy (filtering in the Fourier domain, one filter per quantised orientation) and
Pillow (PNG encoding); a finger and a capture number always give the same bytes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from PIL import Image

Pixels = npt.NDArray[np.float64]

SIZE = 320
"""Image side in pixels; with :data:`RIDGE_PERIOD` this is a plain impression at about 500 ppi."""
RIDGE_PERIOD = 9.0
"""Pixels from one ridge to the next: about 0.46 mm at 500 ppi, a typical adult ridge spacing."""
_ORIENTATIONS = 16
_ITERATIONS = 7


@dataclass(frozen=True)
class Impression:
    """How far one capture departs from the master finger."""

    rotation_degrees: float
    shift: tuple[float, float]
    noise: float
    contrast: float


def master(finger: int, size: int = SIZE) -> Pixels:
    """The ridge pattern of finger ``finger``: values in [-1, 1], ridges positive (deterministic)."""
    rng = np.random.default_rng([20261129, finger])
    theta = _orientation_field(rng, size)
    pattern = rng.standard_normal((size, size))
    filters = _gabor_bank(size)
    bins = np.round(theta / math.pi * _ORIENTATIONS).astype(np.int64) % _ORIENTATIONS
    for _ in range(_ITERATIONS):
        spectrum = np.fft.rfft2(pattern)
        out = np.zeros_like(pattern)
        for index, response in enumerate(filters):
            where = bins == index
            if where.any():
                out[where] = np.fft.irfft2(spectrum * response, s=pattern.shape)[where]
        # Saturate: ridges become flat-topped, and each round sharpens them further.
        pattern = np.clip(out / (np.std(out) + 1e-12) * 2.0, -1.0, 1.0)
    return pattern


def impression(finger: int, capture: int, size: int = SIZE) -> bytes:
    """One capture of ``finger`` as an 8-bit grey PNG (dark ridges on white, as scanners give)."""
    rng = np.random.default_rng([20261129, finger, capture])
    params = Impression(
        rotation_degrees=float(rng.uniform(-12.0, 12.0)),
        shift=(float(rng.uniform(-14.0, 14.0)), float(rng.uniform(-14.0, 14.0))),
        noise=float(rng.uniform(0.08, 0.2)),
        contrast=float(rng.uniform(0.75, 1.0)),
    )
    return render(master(finger, size), params, rng)


def render(pattern: Pixels, params: Impression, rng: np.random.Generator) -> bytes:
    """The master ``pattern`` as seen by one touch (``params``), encoded as PNG."""
    size = pattern.shape[0]
    moved = _rigid(pattern, params.rotation_degrees, params.shift)
    contact = _contact(size, params.shift)
    ink = moved * params.contrast + rng.standard_normal(moved.shape) * params.noise
    grey = 255.0 - (np.clip(ink, -1.0, 1.0) + 1.0) * 0.5 * 255.0 * contact
    buffer = io.BytesIO()
    Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _orientation_field(rng: np.random.Generator, size: int) -> Pixels:
    """Ridge orientation (radians, modulo π) of a loop or whorl: the zero-pole model of Sherlock and Monro.

    Cores turn the orientation by +½ of the angle around them, deltas by -½; a loop has one core
    and one delta, a whorl two of each. Positions vary with the finger.
    """
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    z = x + 1j * y
    centre = size / 2
    whorl = rng.random() < 0.35
    jitter = rng.uniform(-0.08, 0.08, 8) * size
    cores = [complex(centre + jitter[0], centre * 0.8 + jitter[1])]
    deltas = [complex(centre * 0.45 + jitter[2], centre * 1.75 + jitter[3])]
    if whorl:
        cores.append(complex(centre + jitter[4], centre * 1.15 + jitter[5]))
        deltas.append(complex(centre * 1.6 + jitter[6], centre * 1.75 + jitter[7]))
    theta = np.full(z.shape, rng.uniform(-0.3, 0.3))
    for core in cores:
        theta += 0.5 * np.angle(z - core)
    for delta in deltas:
        theta -= 0.5 * np.angle(z - delta)
    return np.mod(theta + math.pi / 2, math.pi)  # the ridges run across the gradient of the field


def _gabor_bank(size: int) -> list[npt.NDArray[np.complex128]]:
    """Fourier transforms of even Gabor filters tuned to the ridge period, one per orientation bin."""
    half = 12
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    sigma = RIDGE_PERIOD * 0.45
    envelope = np.exp(-(x**2 + y**2) / (2 * sigma**2))
    bank = []
    for index in range(_ORIENTATIONS):
        angle = index * math.pi / _ORIENTATIONS
        across = -x * math.sin(angle) + y * math.cos(angle)  # distance across ridges running at `angle`
        kernel = envelope * np.cos(2 * math.pi * across / RIDGE_PERIOD)
        kernel -= kernel.mean()
        padded = np.zeros((size, size))
        padded[: kernel.shape[0], : kernel.shape[1]] = kernel
        padded = np.roll(padded, (-half, -half), axis=(0, 1))  # centre the kernel on pixel (0, 0)
        bank.append(np.fft.rfft2(padded))
    return bank


def _rigid(pattern: Pixels, degrees: float, shift: tuple[float, float]) -> Pixels:
    """``pattern`` rotated about its centre and shifted, by bilinear sampling; outside is background."""
    size = pattern.shape[0]
    angle = math.radians(degrees)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    c = (size - 1) / 2
    # Inverse map: the master pixel that lands on each output pixel.
    u = math.cos(angle) * (x - c - shift[0]) + math.sin(angle) * (y - c - shift[1]) + c
    v = -math.sin(angle) * (x - c - shift[0]) + math.cos(angle) * (y - c - shift[1]) + c
    inside = (u >= 0) & (u <= size - 1.001) & (v >= 0) & (v <= size - 1.001)
    u0 = np.clip(np.floor(u).astype(np.int64), 0, size - 2)
    v0 = np.clip(np.floor(v).astype(np.int64), 0, size - 2)
    fu, fv = np.clip(u - u0, 0, 1), np.clip(v - v0, 0, 1)
    top = pattern[v0, u0] * (1 - fu) + pattern[v0, u0 + 1] * fu
    bottom = pattern[v0 + 1, u0] * (1 - fu) + pattern[v0 + 1, u0 + 1] * fu
    return np.where(inside, top * (1 - fv) + bottom * fv, -1.0)


def _contact(size: int, shift: tuple[float, float]) -> Pixels:
    """The finger's contact area: an ellipse with a soft edge, moved with the finger."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    cx, cy = size / 2 + shift[0], size / 2 + shift[1]
    r = np.sqrt(((x - cx) / (size * 0.40)) ** 2 + ((y - cy) / (size * 0.47)) ** 2)
    contact: Pixels = np.clip((1.0 - r) / 0.08, 0.0, 1.0)
    return contact
