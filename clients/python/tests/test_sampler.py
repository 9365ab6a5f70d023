"""Sampler: generate, reconstruct with progress and cancellation, status, errors (real mesh)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

import piddm


def test_generate_returns_fields_in_physical_units_with_their_model(sampler: piddm.Sampler) -> None:
    fields = sampler.generate(3, seed=7)
    assert fields.data.dtype == np.float32
    n, c, h, w = fields.data.shape
    assert (n, c) == (3, len(fields.model.channels))
    assert (h, w) == (fields.model.grid.height, fields.model.grid.width)
    assert fields.model.pde == "darcy" and fields.model.channels == ("a", "u")
    assert fields.pde_error.shape == (3,) and np.isfinite(fields.pde_error).all()
    assert fields.network_evaluations == 1 and fields.server_millis > 0
    assert np.asarray(fields) is fields.data
    assert np.array(fields, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(fields.channel("u"), fields.data[:, 1])
    with pytest.raises(KeyError, match="channels are \\['a', 'u'\\]"):
        fields.channel("p")


def test_the_same_seed_gives_the_same_bytes_whatever_the_count(sampler: piddm.Sampler) -> None:
    three = sampler.generate(3, seed=11)
    one = sampler.generate(1, seed=11)
    assert one.data[0].tobytes() == three.data[0].tobytes()
    assert sampler.generate(1, seed=12).data.tobytes() != one.data.tobytes()


def test_the_bytes_are_those_the_java_client_gets(sampler: piddm.Sampler) -> None:
    java = os.environ.get("PIDDM_TEST_JAVA_GENERATE")
    if not java:
        pytest.skip("PIDDM_TEST_JAVA_GENERATE is not set (PythonPackageIT writes Java's answer)")
    # PythonPackageIT called Generate(count 2, seed 7) from Java and saved the tensor's bytes
    assert sampler.generate(2, seed=7).data.tobytes() == Path(java).read_bytes()


def test_refinement_runs_extra_network_evaluations(sampler: piddm.Sampler) -> None:
    refined = sampler.generate(1, seed=3, refinement=piddm.Refinement(steps=2, lambda_infer=1.0))
    assert refined.network_evaluations == 3
    # unset lambda_solution is the model's default (its Darcy graph has the term), not 0
    off = piddm.Refinement(steps=2, lambda_infer=1.0, lambda_solution=0.0)
    assert sampler.generate(1, seed=3, refinement=off).data.tobytes() != refined.data.tobytes()


def test_status_names_the_served_model(sampler: piddm.Sampler) -> None:
    status = sampler.status()
    assert status.state == "serving"
    assert status.execution_provider == "cpu"
    assert status.model is not None and status.model.grid.channels == ("a", "u")


def _inverse_problem(sampler: piddm.Sampler) -> "tuple[np.ndarray, np.ndarray]":
    truth = sampler.generate(1, seed=21).data[0]
    mask = np.zeros(truth.shape, dtype=bool)
    mask[1] = True  # u observed everywhere, a unknown
    return truth, mask


def test_reconstruct_streams_progress_then_the_result(sampler: piddm.Sampler) -> None:
    truth, mask = _inverse_problem(sampler)
    run = sampler.reconstruct(truth, mask=mask, task="inverse", steps=12, field_every=4, seed=1)
    events = list(run)
    result = run.result()
    assert [e.step for e in events] == list(range(13))
    # the weights and rate were left unset: the model's defaults for an inverse task ran
    assert result.settings["steps"] == 12
    assert result.settings["lambda_obs"] > 0 and result.settings["learning_rate"] > 0
    # so was the optimiser: the exported model's validated defaults are L-BFGS
    assert result.optimizer == "lbfgs"
    assert {e.member for e in events} == {0}
    assert [e.step for e in events if e.field is not None] == [4, 8, 12]
    assert all(e.field.shape == truth.shape for e in events if e.field is not None)
    assert all(np.isfinite(e.loss) and np.isfinite(e.observation_error) for e in events)
    assert result.mean.shape == truth.shape and result.mean.dtype == np.float32
    assert not result.spread.any() and result.members == []
    assert result.steps == 12 and result.model.channels == ("a", "u")
    np.testing.assert_array_equal(result.channel("a"), result.mean[0])


def test_an_ensemble_has_members_and_a_spread(sampler: piddm.Sampler) -> None:
    truth, _ = _inverse_problem(sampler)
    points = [(1, r, c) for r in range(0, truth.shape[1], 3) for c in range(0, truth.shape[2], 3)]
    result = sampler.reconstruct(
        truth, points=points, task="reconstruction", steps=4, ensemble_size=3, seed=5
    ).result()
    assert len(result.members) == 3
    np.testing.assert_allclose(result.mean, np.mean(result.members, axis=0), rtol=1e-4, atol=1e-4)
    assert result.spread.max() > 0


def test_closing_a_reconstruction_cancels_it(sampler: piddm.Sampler) -> None:
    truth, mask = _inverse_problem(sampler)
    run = sampler.reconstruct(truth, mask=mask, steps=5000, seed=2)
    started = time.monotonic()
    first = [next(run) for _ in range(3)]
    assert [e.step for e in first] == [0, 1, 2]
    run.close()
    assert run.closed
    assert list(run) == []
    with pytest.raises(piddm.Cancelled, match="closed before its result"):
        run.result()
    # the server stopped: its workers are free for the next call at once
    assert sampler.generate(1, seed=1).data.shape[0] == 1
    assert time.monotonic() - started < 30


def test_a_with_block_cancels_too(sampler: piddm.Sampler) -> None:
    truth, mask = _inverse_problem(sampler)
    with sampler.reconstruct(truth, mask=mask, steps=5000) as run:
        assert next(run).step == 0
    assert run.closed


def test_the_server_s_refusal_surfaces_with_code_and_message(sampler: piddm.Sampler) -> None:
    with pytest.raises(piddm.InvalidArgument) as refused:
        sampler.generate(0, seed=1)
    assert refused.value.code.name == "INVALID_ARGUMENT"
    assert "count" in refused.value.message
    assert refused.value.method == "/piddm.v1.SamplerService/Generate"
    with pytest.raises(piddm.NotFound):
        sampler.generate(1, version=987654)
    truth, _ = _inverse_problem(sampler)
    with pytest.raises(piddm.InvalidArgument, match="outside the grid"):
        sampler.reconstruct(truth, points=[(0, 999, 0)], steps=2).result()


def test_bad_arrays_are_refused_before_anything_is_sent(sampler: piddm.Sampler) -> None:
    truth, mask = _inverse_problem(sampler)
    broken = truth.copy()
    broken[1, 2, 3] = np.nan
    with pytest.raises(piddm.TensorError, match=r"observations: element \[1, 2, 3\] is nan"):
        sampler.reconstruct(broken, mask=mask)
    with pytest.raises(piddm.TensorError, match="not floating point"):
        sampler.reconstruct(truth.astype(np.int32), mask=mask)
    with pytest.raises(piddm.TensorError, match=r"\[C, H, W\]"):
        sampler.reconstruct(truth[None], mask=mask)
    with pytest.raises(piddm.TensorError, match="values other than 0 and 1"):
        sampler.reconstruct(truth, mask=mask * 2.0)


def test_reconstruct_takes_the_optimizer_the_caller_names(sampler: piddm.Sampler) -> None:
    truth, mask = _inverse_problem(sampler)
    adam = sampler.reconstruct(truth, mask=mask, task="inverse", steps=3, optimizer="adam").result()
    assert adam.optimizer == "adam" and adam.settings["steps"] == 3
    with pytest.raises(ValueError, match="not a ReconstructOptimizer"):
        sampler.reconstruct(truth, mask=mask, task="inverse", optimizer="newton")
