"""What the pipeline asks of the biometrics capability: probes, 1:1, 1:N and the gallery.

The gallery holds one face template per *application* that was found unique (or cleared by a
supervisor); its reference id is the application id, which names the person. An application's own
templates wait, encrypted, as probes until it is decided (DESIGN.md decision 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from civicid.biometrics import service as gallery_store
from civicid.biometrics.cipher import TemplateCipher
from civicid.biometrics.dedup import DedupKind, DedupOutcome, decide, thresholds_for
from civicid.biometrics.ports import Candidate, CosineVerifier, Extractor, Template, TemplateKey
from civicid.biometrics.service import GalleryCache
from civicid.core.clock import Clock
from civicid.enrollment.models import Application, ApplicationStatus, ProbeTemplate

TOP_K = 5
# Serialises 1:N searches on PostgreSQL, so that two duplicates processed at the same time by two
# workers still see each other (SQLite serialises writers already).
_DEDUP_LOCK = 202219730


@dataclass
class EnrollmentBiometrics:
    """The extractors by part kind, the cipher for templates at rest, and this process's gallery cache."""

    extractors: dict[str, Extractor]
    cipher: TemplateCipher
    cache: GalleryCache = field(init=False)

    def __post_init__(self) -> None:
        self.cache = GalleryCache(self.cipher)

    # Probes -------------------------------------------------------------------------------------

    def store_probes(self, session: Session, application_id: str, captures: dict[str, bytes]) -> None:
        """Extract a template from each capture part (by kind) and keep it sealed until the decision."""
        for kind, capture in captures.items():
            template = self.extractors[kind].extract(capture)
            session.add(
                ProbeTemplate(
                    application_id=application_id,
                    modality=template.modality,
                    sealed=self.cipher.seal(
                        _vector_bytes(template), associated_data=_probe_aad(application_id, template.key)
                    ),
                    model=template.model,
                    model_version=template.model_version,
                )
            )

    def probe(self, session: Session, application_id: str, modality: str) -> Template | None:
        row = session.get(ProbeTemplate, (application_id, modality))
        if row is None:
            return None
        extractor = next(e for e in self.extractors.values() if e.key.modality == modality and e.key.model == row.model)
        key = extractor.key
        plain = self.cipher.open(row.sealed, associated_data=_probe_aad(application_id, key))
        vector = np.frombuffer(plain, dtype="<f4").astype(np.float32)
        return Template(key.modality, key.model, key.model_version, vector, 1.0)

    # 1:1 and 1:N --------------------------------------------------------------------------------

    def reference_score(self, session: Session, application: Application) -> float | None:
        """1:1 against the person's earlier enrolled face, when there is one."""
        probe = self.probe(session, application.id, "face")
        if probe is None or application.person_id is None:
            return None
        earlier = session.scalars(
            select(Application.id).where(
                Application.person_id == application.person_id,
                Application.id != application.id,
                Application.status == ApplicationStatus.ISSUED,
            )
        ).all()
        self.cache.refresh(session)
        gallery = self.cache.gallery(probe.key)
        references = [r for r in earlier if r in gallery]
        if not references:
            return None
        vectors = gallery.vectors
        ids = gallery.reference_ids
        scores = [float(np.dot(vectors[ids.index(r)], probe.vector)) for r in references]
        return max(scores)

    def deduplicate(self, session: Session, application: Application) -> DedupOutcome:
        """1:N against the gallery, ignoring the person's own earlier enrollments; serialised."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DEDUP_LOCK})
        probe = self.probe(session, application.id, "face")
        if probe is None:
            return DedupOutcome(DedupKind.UNIQUE, None)
        self.cache.refresh(session)
        candidates = self.cache.gallery(probe.key).identify(probe, top_k=TOP_K)
        own = _applications_of_person(session, application.person_id, [c.reference_id for c in candidates])
        others = [c for c in candidates if c.reference_id not in own]
        limits = thresholds_for(probe.model, probe.model_version)
        return decide(others, duplicate_at=limits.duplicate_at, review_at=limits.review_at)

    def admit(self, session: Session, clock: Clock, application_id: str) -> None:
        """Put the application's face into the gallery: later applications are compared with it."""
        probe = self.probe(session, application_id, "face")
        if probe is not None:
            gallery_store.store_template(
                session=session, reference_id=application_id, template=probe, cipher=self.cipher, now=clock.now()
            )

    def forget(self, session: Session, clock: Clock, application_id: str) -> None:
        gallery_store.delete_templates(session=session, reference_id=application_id, now=clock.now())

    def compare(self, session: Session, first_id: str, second_id: str, modality: str) -> float | None:
        """1:1 between two applications' probes of one modality, for a supervisor adjudicating them.

        Fingerprints are compared here, not in 1:N: the gallery holds faces only.
        """
        first, second = self.probe(session, first_id, modality), self.probe(session, second_id, modality)
        if first is None or second is None:
            return None
        return CosineVerifier().score(first, second)


def _applications_of_person(session: Session, person_id: int | None, application_ids: list[str]) -> set[str]:
    if person_id is None or not application_ids:
        return set()
    query = select(Application.id).where(Application.id.in_(application_ids), Application.person_id == person_id)
    return set(session.scalars(query).all())


def _vector_bytes(template: Template) -> bytes:
    return np.asarray(template.vector, dtype="<f4").tobytes()


def _probe_aad(application_id: str, key: TemplateKey) -> bytes:
    """Binds a sealed probe to its application and model, so it cannot be swapped for another."""
    return f"probe|{application_id}|{key.describe()}".encode()


__all__ = ["Candidate", "EnrollmentBiometrics"]
