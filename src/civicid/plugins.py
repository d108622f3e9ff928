"""The adapters a deployment plugs into CivicID's ports, chosen here at composition from the settings.

Capabilities declare ports (``biometrics.ports.Extractor``, ``field.sources.BiometricSource``,
``notify.ports.SmsGateway``, ``agencies.ports.AgencyRegistry``, ``signing.ports.KeyVault``) and never pick
an implementation themselves; the app factory, the servers and the CLI ask this module. What is simulated says so:
:attr:`Plugins.simulated` names every simulated adapter in use, and the pages and the CLI show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from civicid.accounts.level1 import FaceCheck
from civicid.agencies.adapters import SIMULATED_AGENCIES, SimulatedAgencies
from civicid.agencies.ports import AgencyRegistry
from civicid.biometrics.dedup import thresholds_for
from civicid.biometrics.dlib_face import DlibFaceExtractor
from civicid.biometrics.fingerprint import installed_verifier
from civicid.biometrics.ports import CosineVerifier, Extractor, MinutiaeVerifier
from civicid.biometrics.simulated import DrawnPortraits, SimulatedPortraitExtractor, simulated_extractors
from civicid.core.clock import Clock
from civicid.core.settings import Settings
from civicid.field.sources import BiometricSource, CameraSource, SimulatedSource
from civicid.notify.adapters import FileSmsGateway, file_gateway
from civicid.registry.portraits import PortraitFolder
from civicid.signing.adapters import KeystoreVault, Pkcs11Vault
from civicid.signing.ca import Pki
from civicid.signing.service import Signing


@dataclass(frozen=True)
class Plugins:
    """One deployment's choice of adapters; build what you need, when you need it (models load slowly)."""

    settings: Settings

    #: The simulated adapters in use, by port: what a page or a report must say is not real. Biometrics
    #: are real (dlib face model, NBIS fingerprints) unless the settings choose the simulator.
    simulated: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        biometrics = ("biometric_extractors", "capture_source") if self.settings.simulated_biometrics else ()
        # The demo's RFC 3161 time stamps: real signatures, not an accredited TSA (decision 0049).
        simulated = (
            *biometrics,
            "sms_gateway",
            # Level 1's selfie match, on the simulator's drawn portraits unless the registry's photos are given (0052).
            *(() if self._registry_photos() else ("face_check",)),
            *(f"agency:{kind.value}" for kind in SIMULATED_AGENCIES),
            "time_stamping_authority",
        )
        object.__setattr__(self, "simulated", simulated)

    def extractors(self) -> dict[str, Extractor]:
        """The server's vector extractors by part: dlib's face model (decision 0059), or the simulator's
        face and finger when the settings say ``simulated_biometrics`` (the demo, tests, benchmarks)."""
        if self.settings.simulated_biometrics:
            return simulated_extractors()
        return {"face": DlibFaceExtractor()}

    def fingerprints(self) -> MinutiaeVerifier | None:
        """The fingerprint matcher that reads real kits' finger sets (NBIS), None with simulated biometrics
        or where nbis-py has no wheel (then fingers play no part in dedup, and the pages say so)."""
        if self.settings.simulated_biometrics:
            return None
        return installed_verifier()

    def capture_source(self) -> BiometricSource:
        """Where a kit's biometric captures come from: the camera and scanner, or the simulator's."""
        if self.settings.simulated_biometrics:
            return SimulatedSource()
        return CameraSource()

    def sms_gateway(self, clock: Clock) -> FileSmsGateway:
        """The carrier: a file in the data folder (``sms-outbox.jsonl``) until a carrier's API is wired in."""
        return file_gateway(self.settings, clock=clock)

    def agencies(self) -> AgencyRegistry:
        """The agencies that confirm wallet documents: the simulated traffic police (driving licences,
        vehicle registrations) and social security (health-insurance cards), each with its own table."""
        return SimulatedAgencies()

    def signing(self) -> Signing:
        """The CA and the citizens' key vault: a PKCS#11 token when ``signing_pkcs11_module`` is set, else the
        keystore (decision 0048)."""
        pki = Pki.of_settings(self.settings)
        if self.settings.signing_pkcs11_module is None:
            return Signing(pki, KeystoreVault(pki.keystore))
        vault = Pkcs11Vault(
            self.settings.signing_pkcs11_module,
            self.settings.signing_pkcs11_token,
            self.settings.signing_pkcs11_pin or "",
        )
        return Signing(pki, vault)

    def face_check(self) -> FaceCheck:
        """Level 1's selfie match: the ``Verifier`` port (cosine) on templates of the selfie and of the registry's
        portrait (docs/decisions/0052-level-1-on-the-phone.md).

        - With the registry's card photos (``registry_portraits_dir``) and real biometrics: dlib's face
          model, accepting from the dedup's "same person" operating point (cosine 0.93).
        - Otherwise the simulator's drawn portraits and their extractor; the threshold sits far above
          their non-mated scores (sd ≈0.09 at 128 dimensions) and below their mated 1.0.
        """
        folder = self._registry_photos()
        if folder is None:
            return FaceCheck(
                extractor=SimulatedPortraitExtractor(),
                verifier=CosineVerifier(),
                threshold=SIMULATED_FACE_MATCH_THRESHOLD,
                portraits=DrawnPortraits(),
                simulated=True,
            )
        extractor = DlibFaceExtractor()
        same_person = thresholds_for(extractor.key.model, extractor.key.model_version).duplicate_at
        return FaceCheck(
            extractor=extractor,
            verifier=CosineVerifier(),
            threshold=same_person,
            portraits=PortraitFolder(folder),
            simulated=False,
        )

    def _registry_photos(self) -> Path | None:
        """The registry's card photos, when the real face model is to match against them (else None)."""
        return None if self.settings.simulated_biometrics else self.settings.registry_portraits_dir


SIMULATED_FACE_MATCH_THRESHOLD = 0.6


def plugins_for(settings: Settings) -> Plugins:
    return Plugins(settings)
