"""A capture in a village becomes an issued account exactly once, and nobody gets two identities."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from tests.factories import (
    ADMIN,
    SUPERVISOR,
    PeopleOf,
    application_status,
    approved,
    captured_packet,
    delivered,
    suspected_duplicate,
)

from civicid.accounts import service as accounts
from civicid.core import audit
from civicid.core.audit import AuditEntry
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.devices import service as devices
from civicid.enrollment import approval
from civicid.enrollment.errors import MakerCheckerViolation
from civicid.enrollment.models import Application
from civicid.enrollment.stats import enrollment_stats
from civicid.enrollment.tasks import Pipeline
from civicid.enrollment.timeline import timeline
from civicid.notify import service as notify
from civicid.protocol.codes import ApplicationStatus
from civicid.protocol.packet import ApplicationType
from civicid.registry import service as registry
from civicid.sim.captures import SimulatedKit, sample_documents

RunPipeline = Callable[[], int]


class TestLevelTwoForAdults:
    def test_unique_adult_is_issued_once_approved_and_told_by_sms(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = captured_packet(context, kit, adult, documents=sample_documents(adult))
        receipt = delivered(context, packet)
        assert receipt.status == "processing"
        run_pipeline()
        assert application_status(context, packet.envelope.application_id) == (
            ApplicationStatus.AWAITING_APPROVAL,
            None,
        )
        approved(context, packet.envelope.application_id)
        run_pipeline()
        assert application_status(context, packet.envelope.application_id)[0] is ApplicationStatus.ISSUED
        with unit_of_work(context.database.sessions) as session:
            account = accounts.get_account_by_person(session=session, person_id=adult.id)
            sms = notify.notifications_for(
                session=session, related_type="application", related_id=packet.envelope.application_id
            )
            stages = [e.stage for e in timeline(session, packet.envelope.application_id)]
        assert (account.level, account.status) == (2, "pending_activation")
        assert [n.template for n in sms] == ["application_approved"]
        assert stages == [
            "received",
            "complete",
            "integrity",
            "registry_match",
            "eligibility",
            "biometrics",
            "approval",
            "issue",
        ]

    def test_data_that_disagree_with_the_registry_go_back_for_correction(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        (adult,) = people("14_plus", 1)
        wrong = adult.model_copy(update={"full_name": adult.full_name + " Thị"})
        packet = captured_packet(context, kit, wrong)
        delivered(context, packet)
        run_pipeline()
        assert application_status(context, packet.envelope.application_id) == (
            ApplicationStatus.NEEDS_CORRECTION,
            "full_name_mismatch",
        )


class TestDeduplication:
    def test_an_impostor_under_a_second_id_number_is_caught(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        first, second = people("14_plus", 2)
        genuine = captured_packet(context, kit, first, capture_seed=1)
        impostor = captured_packet(context, kit, second, identity_seed=first.id, capture_seed=2)
        # Both in the same batch: the second must be found against the first, not only the gallery.
        delivered(context, genuine)
        delivered(context, impostor)
        run_pipeline()
        statuses = {application_status(context, p.envelope.application_id)[0] for p in (genuine, impostor)}
        assert ApplicationStatus.AWAITING_APPROVAL in statuses
        assert statuses & {ApplicationStatus.REJECTED_DUPLICATE, ApplicationStatus.SUSPECTED_DUPLICATE}
        with unit_of_work(context.database.sessions) as session:
            stats = enrollment_stats(session=session)
        assert stats["rejected_duplicates"] + stats["suspected_duplicates"] == 1

    def test_a_suspected_duplicate_cleared_by_the_supervisor_goes_on_to_approval(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        _, impostor = suspected_duplicate(context, pipeline, kit, *people("14_plus", 2))
        with unit_of_work(context.database.sessions) as session:
            approval.adjudicate(
                session=session,
                clock=context.clock,
                supervisor=SUPERVISOR,
                application_id=impostor,
                is_duplicate=False,
                reason="twins, checked in person",
                biometrics=pipeline.biometrics,
            )
        assert application_status(context, impostor)[0] is ApplicationStatus.AWAITING_APPROVAL


class TestChildren:
    def test_card_for_a_child_under_6_needs_no_biometrics(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        (child,) = people("under_6", 1)
        with unit_of_work(context.database.sessions) as session:
            (parent_id, *_) = registry.guardians_of(session=session, child_id=child.id)
            parent = registry.get_person(session=session, clock=context.clock, actor=ADMIN, person_id=parent_id)
            accounts.issue_account(
                session=session,
                clock=context.clock,
                actor=ADMIN,
                person_id=parent.id,
                id_number=parent.id_number,
                phone=None,
                level=2,
                source="test",
            )
        packet = captured_packet(
            context,
            kit,
            child,
            application_type=ApplicationType.CHILD_CARD,
            guardian_id_number=parent.id_number,
            phone="0912000111",
        )
        assert packet.sealed_parts == {}
        delivered(context, packet)
        run_pipeline()
        assert application_status(context, packet.envelope.application_id)[0] is ApplicationStatus.AWAITING_APPROVAL
        approved(context, packet.envelope.application_id)
        run_pipeline()
        assert application_status(context, packet.envelope.application_id)[0] is ApplicationStatus.ISSUED
        with unit_of_work(context.database.sessions) as session:
            cards = registry.list_id_cards(session=session, clock=context.clock, actor=ADMIN, person_id=child.id)
        assert [c.status for c in cards][-1] == "valid"

    def test_card_for_a_child_whose_parent_lacks_level_2_is_ineligible(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        (child,) = people("under_6", 1)
        with unit_of_work(context.database.sessions) as session:
            (parent_id, *_) = registry.guardians_of(session=session, child_id=child.id)
            parent = registry.get_person(session=session, clock=context.clock, actor=ADMIN, person_id=parent_id)
        packet = captured_packet(
            context, kit, child, application_type=ApplicationType.CHILD_CARD, guardian_id_number=parent.id_number
        )
        delivered(context, packet)
        run_pipeline()
        assert application_status(context, packet.envelope.application_id) == (
            ApplicationStatus.INELIGIBLE,
            "guardian_without_level2",
        )

    def test_an_adult_cannot_apply_as_a_child(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        adult, other = people("14_plus", 2)
        packet = captured_packet(
            context, kit, adult, application_type=ApplicationType.LEVEL2_CHILD, guardian_id_number=other.id_number
        )
        delivered(context, packet)
        run_pipeline()
        assert application_status(context, packet.envelope.application_id) == (
            ApplicationStatus.INELIGIBLE,
            "age_not_6_to_13",
        )


class TestMakerChecker:
    def test_an_operator_cannot_approve_their_own_capture(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        (adult,) = people("14_plus", 1)
        packet = captured_packet(context, kit, adult)
        delivered(context, packet)
        run_pipeline()
        maker = SUPERVISOR.__class__("staff", kit.operator)
        with unit_of_work(context.database.sessions) as session, pytest.raises(MakerCheckerViolation):
            approval.approve(
                session=session, clock=context.clock, supervisor=maker, application_id=packet.envelope.application_id
            )
        assert application_status(context, packet.envelope.application_id)[0] is ApplicationStatus.AWAITING_APPROVAL

    def test_rejection_takes_the_face_out_of_the_gallery(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        first, second = people("14_plus", 2)
        packet = captured_packet(context, kit, first)
        delivered(context, packet)
        run_pipeline()
        with unit_of_work(context.database.sessions) as session:
            approval.reject(
                session=session,
                clock=context.clock,
                supervisor=SUPERVISOR,
                application_id=packet.envelope.application_id,
                reason="portrait too dark",
                biometrics=pipeline.biometrics,
            )
        # The same face again under another number is no longer a duplicate of a rejected record.
        again = captured_packet(context, kit, second, identity_seed=first.id, capture_seed=3)
        delivered(context, again)
        run_pipeline()
        assert application_status(context, again.envelope.application_id)[0] is ApplicationStatus.AWAITING_APPROVAL


def test_each_stage_ran_exactly_once(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
) -> None:
    adults = people("14_plus", 3)
    for adult in adults:
        delivered(context, captured_packet(context, kit, adult))
    run_pipeline()
    with unit_of_work(context.database.sessions) as session:
        ids = session.scalars(select(Application.id)).all()
        for application_id in ids:
            stages = [e.stage for e in timeline(session, application_id)]
            assert len(stages) == len(set(stages))


def test_a_batch_audits_its_registry_reads_once_and_each_account_issue_and_keeps_the_chain_intact(
    context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
) -> None:
    adults = people("14_plus", 3)
    packets = [captured_packet(context, kit, adult) for adult in adults]
    for packet in packets:
        delivered(context, packet)
    run_pipeline()  # one set-based batch per stage (decision 0020)
    for packet in packets:
        approved(context, packet.envelope.application_id)
    run_pipeline()
    with unit_of_work(context.database.sessions) as session:
        assert audit.verify_chain(session=session).intact
        reads = session.scalars(select(AuditEntry).where(AuditEntry.subject_type == "person_batch")).all()
        issues = session.scalars(select(AuditEntry).where(AuditEntry.action == "account.issue")).all()
    assert [(e.action, e.details["stage"], sorted(e.details["persons"])) for e in reads] == [
        ("person.read", "registry_match", sorted(a.id for a in adults))
    ]
    assert sorted(e.subject_id for e in issues) == sorted(str(a.id) for a in adults)
    assert all(application_status(context, p.envelope.application_id)[0] is ApplicationStatus.ISSUED for p in packets)


class TestIntegrityOnTheVerifiedRecord:
    """The signature is verified once, at intake (decision 0023); the integrity stage checks the record."""

    def test_a_kit_revoked_after_intake_has_its_packets_refused(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        first, second = people("14_plus", 2)
        kept, refused = captured_packet(context, kit, first), captured_packet(context, kit, second)
        delivered(context, kept)
        run_pipeline()
        delivered(context, refused)
        with unit_of_work(context.database.sessions) as session:
            devices.revoke_device(
                session=session, clock=context.clock, actor=ADMIN, device_id=kit.device_id, reason="x"
            )
        run_pipeline()
        assert application_status(context, kept.envelope.application_id) == (ApplicationStatus.AWAITING_APPROVAL, None)
        assert application_status(context, refused.envelope.application_id) == (
            ApplicationStatus.REJECTED_INTEGRITY,
            "revoked_device",
        )

    def test_a_stored_envelope_that_is_not_the_verified_one_is_refused(
        self, context: Context, pipeline: Pipeline, kit: SimulatedKit, people: PeopleOf, run_pipeline: RunPipeline
    ) -> None:
        (adult,) = people("14_plus", 1)
        original, other = captured_packet(context, kit, adult), captured_packet(context, kit, adult)
        delivered(context, original)
        with unit_of_work(context.database.sessions) as session:  # written behind intake's back
            application = session.get(Application, original.envelope.application_id)
            assert application is not None
            application.envelope_jws = other.envelope_jws
        run_pipeline()
        assert application_status(context, original.envelope.application_id) == (
            ApplicationStatus.REJECTED_INTEGRITY,
            "invalid_packet_signature",
        )
