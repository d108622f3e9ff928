"""The background worker signs the audit chain's checkpoints as the log grows (decision 0033)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from tests.core.tampering import append, delete_entries_after

from civicid.biometrics.simulated import simulated_extractors
from civicid.core.audit_witness import read_witness
from civicid.core.runtime import Context
from civicid.enrollment.runtime import build_pipeline
from civicid.enrollment.worker import BackgroundWorker
from civicid.notify.adapters import file_gateway


@pytest.fixture
def witness(tmp_path: Path) -> Path:
    return tmp_path / "audit-witness.jsonl"


def worker_every(context: Context, every: int, witness: Path) -> BackgroundWorker:
    """The worker of a deployment with ``CIVICID_AUDIT_CHECKPOINT_EVERY=every`` and a witness file."""
    settings = context.settings.model_copy(update={"audit_checkpoint_every": every, "audit_witness_file": witness})
    deployment = dataclasses.replace(context, settings=settings)
    pipeline = build_pipeline(deployment, simulated_extractors())
    return BackgroundWorker(deployment, pipeline, file_gateway(settings, clock=context.clock))


def test_a_checkpoint_once_every_n_entries(context: Context, witness: Path) -> None:
    worker = worker_every(context, 3, witness)
    append(context.database, context.clock, 2)
    worker.round()
    assert not witness.exists()
    seq = append(context.database, context.clock, 1)
    worker.round()
    worker.round()
    (checkpoint,) = read_witness(witness)
    assert (checkpoint.clear["seq"], checkpoint.clear["entries"]) == (seq[-1], 3)


def test_zero_leaves_checkpoints_to_the_command(context: Context, witness: Path) -> None:
    append(context.database, context.clock, 5)
    worker_every(context, 0, witness).round()
    assert not witness.exists()


def test_a_tampered_log_is_logged_once_and_the_worker_goes_on(
    context: Context, witness: Path, caplog: pytest.LogCaptureFixture
) -> None:
    worker = worker_every(context, 1, witness)
    seq = append(context.database, context.clock, 3)
    worker.round()
    delete_entries_after(context.database, seq[0])
    with caplog.at_level(logging.ERROR, logger="civicid.audit"):
        assert worker.round() == 0
        assert worker.round() == 0
    (record,) = caplog.records
    assert "audit_log_tampered" in record.getMessage()
