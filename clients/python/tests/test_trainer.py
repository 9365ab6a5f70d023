"""Trainer: start a run from a dict or JSON, watch it, cancel it, and its refusals."""

from __future__ import annotations

import json

import pytest

import piddm

# A run that cannot finish while the test watches it: the test cancels it.
SPEC = {
    "pde": "PDE_DARCY",
    "resolution": 16,
    "profile": "quick",
    "dataset": {"count": "12", "heldOutCount": "4"},
    "teacher": {"preset": "tiny", "steps": "100000", "batchSize": 4},
    "student": {"steps": "4", "batchSize": 4},
    "publish": {"skip": True},
    "threads": 1,
}


def test_a_run_started_from_a_dict_is_watched_and_cancelled(trainer: piddm.Trainer) -> None:
    run = trainer.start(SPEC)
    assert run.run_id and run.state in ("queued", "running")
    assert run.spec()["resolution"] == 16
    with trainer.watch(run.run_id) as events:
        first = next(events)
        assert first.run_id == run.run_id and not first.finished
        cancelled = trainer.cancel(run.run_id, reason="pytest")
        assert cancelled.run_id == run.run_id
        states = [e.state for e in events]  # the stream completes once the run has ended
    assert states[-1] == "cancelled"
    assert trainer.get(run.run_id).state == "cancelled"
    assert run.run_id in [r.run_id for r in trainer.runs(state="cancelled")]
    with pytest.raises(piddm.FailedPrecondition):
        trainer.cancel(run.run_id)


def test_a_json_spec_is_accepted_and_a_bad_one_refused_before_sending(
    trainer: piddm.Trainer,
) -> None:
    spec = piddm.run_spec(json.dumps(SPEC))
    assert spec.teacher.steps == 100000
    with pytest.raises(ValueError, match="noSuchField"):
        trainer.start('{"pde": "PDE_DARCY", "noSuchField": 1}')


def test_the_server_s_refusals_name_the_problem(trainer: piddm.Trainer) -> None:
    with pytest.raises(piddm.InvalidArgument) as invalid:
        trainer.start(dict(SPEC, student={"steps": "-4"}))
    assert "student.steps" in invalid.value.message
    with pytest.raises(piddm.NotFound):
        trainer.get("run-that-does-not-exist")
    with piddm.Trainer(trainer.target, token="wrong-token") as intruder:
        with pytest.raises(piddm.PermissionDenied):
            intruder.start(SPEC)
