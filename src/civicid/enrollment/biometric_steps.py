"""What the pipeline asks of the biometrics capability: probes, 1:1, 1:N and the gallery.

The gallery holds one face template per *application* that was found unique (or cleared by a
supervisor); its reference id is the application id, which names the person. An application's own
templates wait, encrypted, as probes until it is decided (DESIGN.md decision 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.orm import Session

from civicid.biometrics import finger_set
from civicid.biometrics import service as gallery_store
from civicid.biometrics.cipher import TemplateCipher
from civicid.biometrics.dedup import DedupKind, DedupOutcome, Thresholds, decide, thresholds_for
from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.finger_set import FingerSet
from civicid.biometrics.fusion import NBIS, FingerEvidence, FingerThresholds, compare_sets, fuse
from civicid.biometrics.ports import Candidate, CosineVerifier, Extractor, MinutiaeVerifier, Template, TemplateKey
from civicid.biometrics.service import GalleryCache
from civicid.core.clock import Clock
from civicid.core.dialects import on_postgresql, per_dialect
from civicid.core.lists import one_of
from civicid.enrollment.models import Application, ProbeTemplate
from civicid.protocol.codes import ApplicationStatus

TOP_K = 5
# A batch's probes go as one executemany (on PostgreSQL, psycopg pipelines it: docs/decisions/0029).
_INSERT_PROBES = insert(ProbeTemplate)
# Built once per dialect: a batch's ids are one array parameter on PostgreSQL (core/lists.py).
_PROBES = per_dialect(
    lambda dialect: select(ProbeTemplate.application_id, ProbeTemplate.model, ProbeTemplate.sealed).where(
        one_of(ProbeTemplate.application_id, "ids", dialect), ProbeTemplate.modality == bindparam("modality")
    )
)
_ISSUED_OF = per_dialect(
    lambda dialect: select(Application.id, Application.person_id).where(
        one_of(Application.person_id, "persons", dialect), Application.status == ApplicationStatus.ISSUED
    )
)
# Serialises 1:N searches on PostgreSQL, so that two duplicates processed at the same time by two
# workers still see each other (SQLite serialises writers already).
_DEDUP_LOCK = 202219730


class Applicant(Protocol):
    """What 1:1 and 1:N need of an application: an ORM ``Application`` or the stages' lighter row."""

    @property
    def id(self) -> str: ...

    @property
    def person_id(self) -> int | None: ...


@dataclass
class EnrollmentBiometrics:
    """The extractors by part kind, the cipher for templates at rest, and this process's gallery cache.

    With ``fingerprints`` (a minutiae matcher: NBIS bozorth3), the ``finger`` part of a capture is a
    ``civicid-finger-set/1`` document of minutiae made on the kit; its probe is that document,
    sealed, and dedup fuses face and fingers (``biometrics/fusion.py``, decision 0061). Without it,
    fingers are vectors read by ``extractors["finger"]`` (the simulator's) and play no part in 1:N.
    """

    extractors: dict[str, Extractor]
    cipher: TemplateCipher
    fingerprints: MinutiaeVerifier | None = None
    finger_limits: FingerThresholds = NBIS  # the matcher's operating point (fusion.py)
    cache: GalleryCache = field(init=False)
    # The person of each application this process has seen in 1:N (a gallery reference or a probe).
    # An application's person is set by the registry match, before any search, and never changes.
    persons: dict[str, int | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.cache = GalleryCache(self.cipher)

    # Probes -------------------------------------------------------------------------------------

    def store_probes(self, session: Session, application_id: str, captures: dict[str, bytes]) -> None:
        """Extract a template from each capture part (by kind) and keep it sealed until the decision."""
        self.insert_probes(session, self.probe_rows(application_id, captures))

    def probe_rows(self, application_id: str, captures: dict[str, bytes]) -> list[dict[str, object]]:
        """The sealed probe rows of one application's captures (extraction may raise: nothing is written)."""
        rows: list[dict[str, object]] = []
        for kind, capture in captures.items():
            if kind == "finger" and self.fingerprints is not None:
                rows.append(self._finger_row(application_id, capture, self.fingerprints))
                continue
            if kind == "finger" and kind not in self.extractors:
                continue  # no fingerprint matcher on this server (nbis-py has no wheel here): fingers play no part
            template = self.extractors[kind].extract(capture)
            rows.append(
                {
                    "application_id": application_id,
                    "modality": template.modality,
                    "sealed": self.cipher.seal(
                        _vector_bytes(template), associated_data=_probe_aad(application_id, template.key)
                    ),
                    "model": template.model,
                    "model_version": template.model_version,
                }
            )
        return rows

    def _finger_row(self, application_id: str, capture: bytes, verifier: MinutiaeVerifier) -> dict[str, object]:
        """A finger set's probe row: the document sealed as it came, after checking it parses and its model."""
        fingers = finger_set.decode(capture)
        for template in fingers.templates.values():
            if (template.model, template.model_version) != (verifier.model, verifier.model_version):
                # A gallery never mixes versions: a kit on another matcher build must be updated first.
                raise ExtractionFailed(
                    f"fingers read by {template.describe()}, the server matches with {verifier.model}"
                )
        return {
            "application_id": application_id,
            "modality": "finger",
            "sealed": self.cipher.seal(capture, associated_data=_finger_aad(application_id, verifier)),
            "model": verifier.model,
            "model_version": verifier.model_version,
        }

    def finger_sets(self, session: Session, application_ids: Sequence[str]) -> dict[str, FingerSet]:
        """The finger sets of many applications, opened, by application id (one query); none without the matcher."""
        verifier = self.fingerprints
        if verifier is None or not application_ids:
            return {}
        connection = session.connection()
        rows = connection.execute(
            _PROBES[connection.dialect.name], {"ids": list(application_ids), "modality": "finger"}
        )
        return {
            application_id: finger_set.decode(
                self.cipher.open(sealed, associated_data=_finger_aad(application_id, verifier))
            )
            for application_id, model, sealed in rows
            if model == verifier.model
        }

    def insert_probes(self, session: Session, rows: Sequence[dict[str, object]]) -> None:
        if rows:
            session.connection().execute(_INSERT_PROBES, list(rows))

    def probes(self, session: Session, application_ids: Sequence[str], modality: str) -> dict[str, Template]:
        """The probes of ``modality`` of many applications, opened, by application id (one query)."""
        connection = session.connection()
        rows = connection.execute(
            _PROBES[connection.dialect.name], {"ids": list(application_ids), "modality": modality}
        )
        return {
            application_id: self._open_probe(application_id, modality, model, sealed)
            for application_id, model, sealed in rows
        }

    def probe(self, session: Session, application_id: str, modality: str) -> Template | None:
        row = session.get(ProbeTemplate, (application_id, modality))
        if row is None:
            return None
        return self._open_probe(application_id, modality, row.model, row.sealed)

    def _open_probe(self, application_id: str, modality: str, model: str, sealed: bytes) -> Template:
        extractor = next(e for e in self.extractors.values() if e.key.modality == modality and e.key.model == model)
        key = extractor.key
        plain = self.cipher.open(sealed, associated_data=_probe_aad(application_id, key))
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
        if on_postgresql(session):
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DEDUP_LOCK})
        probe = self.probe(session, application.id, "face")
        if probe is None:
            return DedupOutcome(DedupKind.UNIQUE, None)
        self.cache.refresh(session)
        candidates = self.cache.gallery(probe.key).identify(probe, top_k=TOP_K)
        own = _applications_of_person(session, application.person_id, [c.reference_id for c in candidates])
        others = [c for c in candidates if c.reference_id not in own]
        limits = thresholds_for(probe.model, probe.model_version)
        return self._decide(session, application.id, others, limits)

    def screen(self, session: Session, applications: Sequence[Applicant]) -> list[Screening]:
        """1:1 and 1:N for a batch, in order, as if each were searched and admitted in turn.

        One gallery search for the whole batch, plus the batch's own probes against each other: an
        application found unique counts as in the gallery for those after it in the batch, so two
        duplicates in the same batch still catch each other (decision 0020). Serialised like
        :meth:`deduplicate`.
        """
        if on_postgresql(session):
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DEDUP_LOCK})
        probes = self.probes(session, [a.id for a in applications], "face")
        self.cache.refresh(session)
        found = self._search(probes)
        persons = self._persons_of(session, {c.reference_id for cs in found.values() for c in cs}, applications)
        references = _earlier_issued(session, applications)
        admitted = _Admitted(len(applications))
        screenings = []
        for application in applications:
            probe = probes.get(application.id)
            if probe is None:
                screenings.append(Screening(None, DedupOutcome(DedupKind.UNIQUE, None), None))
                continue
            candidates = [*found.get(application.id, []), *admitted.best(probe, application.person_id)]
            others = [c for c in candidates if not _same_person(persons.get(c.reference_id), application.person_id)]
            limits = thresholds_for(probe.model, probe.model_version)
            outcome = self._decide(session, application.id, others, limits)
            score = self._reference_score(probe, references.get(application.id, []))
            if outcome.kind is DedupKind.UNIQUE:
                admitted.add(application.id, application.person_id, probe)
            screenings.append(Screening(score, outcome, probe))
        return screenings

    def _decide(
        self, session: Session, application_id: str, candidates: list[Candidate], limits: Thresholds
    ) -> DedupOutcome:
        """Face alone, or face and fingers fused when the matcher is there (``fusion.py``)."""
        verifier = self.fingerprints
        if verifier is None or not any(c.score >= limits.review_at for c in candidates):
            return decide(candidates, duplicate_at=limits.duplicate_at, review_at=limits.review_at)
        sets = self.finger_sets(session, [application_id, *(c.reference_id for c in candidates)])
        mine = sets.get(application_id)

        def evidence(candidate: Candidate) -> FingerEvidence:
            theirs = sets.get(candidate.reference_id)
            if mine is None or theirs is None:
                return FingerEvidence(None, 0)
            return compare_sets(mine, theirs, verifier, self.finger_limits)

        outcome, _ = fuse(candidates, limits=limits, evidence=evidence, finger_limits=self.finger_limits)
        return outcome

    def _search(self, probes: dict[str, Template]) -> dict[str, list[Candidate]]:
        """Top-k gallery candidates per probe: one matrix search per model."""
        by_key: dict[TemplateKey, list[str]] = {}
        for application_id, probe in probes.items():
            by_key.setdefault(probe.key, []).append(application_id)
        found: dict[str, list[Candidate]] = {}
        for key, ids in by_key.items():
            gallery = self.cache.gallery(key)
            if gallery.count() == 0:
                continue
            results = gallery.identify_batch([probes[i] for i in ids], top_k=TOP_K)
            found.update(zip(ids, results, strict=True))
        return found

    def _persons_of(
        self, session: Session, references: set[str], applications: Sequence[Applicant]
    ) -> dict[str, int | None]:
        """The persons of the candidates' applications and of the batch's: read only when not known yet.

        Without the memo every batch read the persons of some five hundred candidates, nearly all
        of them applications this process had already searched or admitted.
        """
        self.persons.update({a.id: a.person_id for a in applications})
        unknown = [r for r in references if r not in self.persons]
        if unknown:
            query = select(Application.id, Application.person_id).where(Application.id.in_(unknown))
            self.persons.update({application_id: person_id for application_id, person_id in session.execute(query)})
        return self.persons

    def _reference_score(self, probe: Template, references: list[str]) -> float | None:
        gallery = self.cache.gallery(probe.key)
        rows = [gallery.row_of(r) for r in references if r in gallery]
        if not rows:
            return None
        return max(float(np.dot(gallery.vectors[row], probe.vector)) for row in rows)

    def admit_many(self, session: Session, clock: Clock, templates: Sequence[tuple[str, Template]]) -> None:
        """Put many applications' faces into the gallery in one INSERT."""
        gallery_store.store_templates(session=session, templates=templates, cipher=self.cipher, now=clock.now())

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

        With the minutiae matcher, fingers are the kit's finger sets compared by bozorth3 (its scale,
        not a cosine); None when either side has no finger template.
        """
        if modality == "finger" and self.fingerprints is not None:
            sets = self.finger_sets(session, [first_id, second_id])
            if first_id not in sets or second_id not in sets:
                return None
            return compare_sets(sets[first_id], sets[second_id], self.fingerprints).best
        first, second = self.probe(session, first_id, modality), self.probe(session, second_id, modality)
        if first is None or second is None:
            return None
        return CosineVerifier().score(first, second)


@dataclass(frozen=True)
class Screening:
    """One application's biometric results: 1:1 against its own earlier face, and the 1:N decision."""

    reference_score: float | None
    outcome: DedupOutcome
    probe: Template | None


class _Admitted:
    """The batch's faces already found unique, one matrix per model: the within-batch gallery.

    :meth:`best` gives the one candidate of the batch that :func:`decide` could pick (it keeps the
    best score, the earliest on a tie), from one matrix-vector product instead of a score per
    earlier application; the applications of the probe's own person are left out, as in the
    gallery search.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.rows: dict[TemplateKey, tuple[np.ndarray, list[str], list[int | None]]] = {}

    def add(self, application_id: str, person_id: int | None, probe: Template) -> None:
        key = probe.key
        if key not in self.rows:
            self.rows[key] = (np.empty((self.capacity, key.dim), dtype=np.float32), [], [])
        vectors, ids, persons = self.rows[key]
        vectors[len(ids)] = probe.vector
        ids.append(application_id)
        persons.append(person_id)

    def best(self, probe: Template, person_id: int | None) -> list[Candidate]:
        found = self.rows.get(probe.key)
        if found is None or not found[1]:
            return []
        vectors, ids, persons = found
        scores = vectors[: len(ids)] @ probe.vector
        if person_id is not None:
            scores[[i for i, p in enumerate(persons) if p == person_id]] = -np.inf
        row = int(np.argmax(scores))
        return [] if scores[row] == -np.inf else [Candidate(ids[row], float(scores[row]))]


def _same_person(candidate: int | None, person_id: int | None) -> bool:
    return person_id is not None and candidate == person_id


def _earlier_issued(session: Session, applications: Sequence[Applicant]) -> dict[str, list[str]]:
    """For each application, the person's other applications already issued (their faces are references)."""
    persons = {a.person_id for a in applications if a.person_id is not None}
    if not persons:
        return {}
    connection = session.connection()
    issued: dict[int, list[str]] = {}
    for application_id, person_id in connection.execute(
        _ISSUED_OF[connection.dialect.name], {"persons": list(persons)}
    ):
        if person_id is not None:
            issued.setdefault(person_id, []).append(application_id)
    return {
        a.id: [r for r in issued.get(a.person_id, []) if r != a.id] for a in applications if a.person_id is not None
    }


def _applications_of_person(session: Session, person_id: int | None, application_ids: list[str]) -> set[str]:
    if person_id is None or not application_ids:
        return set()
    query = select(Application.id).where(Application.id.in_(application_ids), Application.person_id == person_id)
    return set(session.scalars(query).all())


def _vector_bytes(template: Template) -> bytes:
    return np.asarray(template.vector, dtype="<f4").tobytes()


def _finger_aad(application_id: str, verifier: MinutiaeVerifier) -> bytes:
    """Binds a sealed finger set to its application and matcher version."""
    return f"probe|{application_id}|finger/{verifier.model}@{verifier.model_version}[minutiae]".encode()


def _probe_aad(application_id: str, key: TemplateKey) -> bytes:
    """Binds a sealed probe to its application and model, so it cannot be swapped for another."""
    return f"probe|{application_id}|{key.describe()}".encode()


__all__ = ["Candidate", "EnrollmentBiometrics"]
