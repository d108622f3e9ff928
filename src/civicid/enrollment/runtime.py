"""Wiring the pipeline to a deployment: keys, blob store, the chosen extractors, the worker's handlers."""

from __future__ import annotations

from collections.abc import Mapping

from civicid.biometrics.cipher import AesGcmTemplateCipher
from civicid.biometrics.ports import Extractor, MinutiaeVerifier
from civicid.core.blobs import BlobStore
from civicid.core.jobs import Handler, Worker
from civicid.core.keystore import Keystore, master_key_from_environment
from civicid.core.runtime import Context
from civicid.enrollment.biometric_steps import EnrollmentBiometrics
from civicid.enrollment.tasks import Pipeline
from civicid.wallet.portraits import PortraitVault


def keystore_of(context: Context) -> Keystore:
    return Keystore.open(context.settings.data_dir, master_key_from_environment())


def blobs_of(context: Context) -> BlobStore:
    return BlobStore(context.settings.data_dir / "blobs")


def build_pipeline(
    context: Context, extractors: dict[str, Extractor], fingerprints: MinutiaeVerifier | None = None
) -> Pipeline:
    """The pipeline of a deployment, with the extractors its composition chose (``civicid/plugins.py``).

    ``fingerprints``: the minutiae matcher that reads real kits' finger sets and fuses them into dedup;
    None with the simulator's vector fingers.
    """
    keystore = keystore_of(context)
    biometrics = EnrollmentBiometrics(
        extractors=extractors, cipher=AesGcmTemplateCipher(keystore.template_key()), fingerprints=fingerprints
    )
    return Pipeline(
        blobs=blobs_of(context),
        server_key=keystore.sealing_key(),
        biometrics=biometrics,
        portraits=PortraitVault(keystore.portrait_key()),
    )


def build_worker(
    context: Context, pipeline: Pipeline, *, name: str | None = None, handlers: Mapping[str, Handler] | None = None
) -> Worker:
    """The worker of the pipeline's jobs, and of the other capabilities' ``handlers`` the composition adds."""
    return Worker(
        sessions=context.database.sessions,
        clock=context.clock,
        handlers={**pipeline.handlers(), **(handlers or {})},
        batch_handlers=pipeline.batch_handlers(),
        name=name,
    )
