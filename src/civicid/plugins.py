"""The adapters a deployment plugs into CivicID's ports, chosen here at composition from the settings.

Capabilities declare ports (``biometrics.ports.Extractor``, ``field.sources.BiometricSource``,
``notify.ports.SmsGateway``, ``agencies.ports.AgencyRegistry``) and never pick an implementation
themselves; the app factory, the servers and the CLI ask this module. What is simulated says so:
:attr:`Plugins.simulated` names every simulated adapter in use, and the pages and the CLI show it.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicid.accounts.level1 import FaceCheck
from civicid.agencies.adapters import SIMULATED_AGENCIES, SimulatedAgencies
from civicid.agencies.ports import AgencyRegistry
from civicid.biometrics.ports import CosineVerifier, Extractor
from civicid.biometrics.simulated import DrawnPortraits, SimulatedPortraitExtractor, simulated_extractors
from civicid.core.clock import Clock
from civicid.core.settings import Settings
from civicid.field.sources import BiometricSource, SimulatedSource
from civicid.notify.adapters import FileSmsGateway, file_gateway


@dataclass(frozen=True)
class Plugins:
    """One deployment's choice of adapters; build what you need, when you need it (models load slowly)."""

    settings: Settings

    #: The simulated adapters in use, by port: what a page or a report must say is not real. Every port
    #: has only its simulated adapter wired so far; a real one replaces it here, chosen from the settings.
    simulated: tuple[str, ...] = (
        "biometric_extractors",
        "capture_source",
        "sms_gateway",
        "face_check",
        *(f"agency:{kind.value}" for kind in SIMULATED_AGENCIES),
    )

    def extractors(self) -> dict[str, Extractor]:
        """The server's extractors, one per modality (``face``, ``finger``): the simulator's, whose captures
        the demo's and the tests' kits make (``DlibFaceExtractor`` exists, not yet wired for fingers)."""
        return simulated_extractors()

    def capture_source(self) -> BiometricSource:
        """Where a kit's biometric captures come from."""
        return SimulatedSource()

    def sms_gateway(self, clock: Clock) -> FileSmsGateway:
        """The carrier: a file in the data folder (``sms-outbox.jsonl``) until a carrier's API is wired in."""
        return file_gateway(self.settings, clock=clock)

    def agencies(self) -> AgencyRegistry:
        """The agencies that confirm wallet documents: the simulated traffic police (driving licences,
        vehicle registrations) and social security (health-insurance cards), each with its own table."""
        return SimulatedAgencies()

    def face_check(self) -> FaceCheck:
        """Level 1's selfie match: the ``Verifier`` port (cosine) on templates of the selfie and of the registry's
        portrait. The registry here is the simulator's, whose portraits are drawings, so the portrait
        extractor is the simulated one too; the threshold sits far above its non-mated scores (sd ≈0.09
        at 128 dimensions) and below its mated 1.0 (docs/decisions/0052-level-1-on-the-phone.md)."""
        return FaceCheck(
            extractor=SimulatedPortraitExtractor(),
            verifier=CosineVerifier(),
            threshold=FACE_MATCH_THRESHOLD,
            portraits=DrawnPortraits(),
            simulated=True,
        )


FACE_MATCH_THRESHOLD = 0.6


def plugins_for(settings: Settings) -> Plugins:
    return Plugins(settings)
