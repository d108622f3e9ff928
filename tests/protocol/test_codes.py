"""The codes kits and pages share (protocol/codes.py): kept as they are, and worded in both languages."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import pytest

import civicid
from civicid.enrollment.tasks import INTEGRITY_FAILURES, NOT_OF_AGE
from civicid.protocol.codes import ApplicationStatus, Stage, StatusReason, VisitOutcome

PACKAGE = Path(civicid.__file__).parent

# Each code, the capability whose pages show it, and the prefix of its words there.
SHOWN: list[tuple[type[StrEnum], str, str]] = [
    (ApplicationStatus, "enrollment", "enrollment.status"),
    (Stage, "enrollment", "enrollment.stage"),
    (StatusReason, "enrollment", "enrollment.reason"),
    (VisitOutcome, "field", "field.outcome"),
]


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(("codes", "capability", "prefix"), SHOWN, ids=[codes.__name__ for codes, _, _ in SHOWN])
def test_every_code_has_words_on_the_pages_that_show_it(
    codes: type[StrEnum], capability: str, prefix: str, language: str
) -> None:
    path = PACKAGE / capability / "translations" / f"{language}.json"
    messages = json.loads(path.read_text(encoding="utf-8"))
    assert [code.value for code in codes if f"{prefix}.{code.value}" not in messages] == []


def test_stages_and_reasons_keep_the_values_kits_and_timelines_already_hold() -> None:
    """Values are never renamed, only added (they are stored, and travel in civicid-field-sync/1)."""
    stages = {"received", "complete", "integrity", "registry_match", "eligibility", "biometrics", "issue"}
    assert stages | {"approval", "adjudication"} <= {stage.value for stage in Stage}
    reasons = {
        "invalid_packet_signature",
        "unknown_device",
        "revoked_device",
        "part_hash_mismatch",
        "invalid_sealed_part",
        "id_number_unknown",
        "full_name_mismatch",
        "date_of_birth_mismatch",
        "sex_mismatch",
        "age_not_14_plus",
        "age_not_6_to_13",
        "age_not_under_6",
        "guardian_missing",
        "guardian_unknown",
        "guardian_not_linked",
        "guardian_without_level2",
        "suspected_duplicate",
        "duplicate",
        "phone_number_taken",
    }
    assert reasons <= {reason.value for reason in StatusReason}


def test_an_integrity_failure_is_refused_with_its_problem_code() -> None:
    assert {error.code for error in INTEGRITY_FAILURES} <= {reason.value for reason in StatusReason}


def test_an_age_refusal_names_the_age_group_the_application_needs() -> None:
    assert {group: reason.value for group, reason in NOT_OF_AGE.items()} == {
        group: f"age_not_{group.value}" for group in NOT_OF_AGE
    }
