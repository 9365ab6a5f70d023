"""Fixtures: clients of a real mesh whose addresses come from the environment.

``PythonPackageIT`` (integration-tests) starts the registry, sampler and trainer as separate
processes on free ports and runs these tests with PIDDM_TEST_SAMPLER, PIDDM_TEST_REGISTRY,
PIDDM_TEST_TRAINER, the two tokens, and PIDDM_TEST_JAVA_GENERATE (the bytes the Java client got
for the same Generate call) set. Without them the mesh tests are skipped, saying so; the tensor
and contract tests need no mesh.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

import piddm


def _target(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        pytest.skip(f"{name} is not set: these tests need a running mesh (PythonPackageIT sets it)")
    return value


@pytest.fixture(scope="session")
def sampler() -> Iterator[piddm.Sampler]:
    with piddm.Sampler(_target("PIDDM_TEST_SAMPLER")) as client:
        yield client


@pytest.fixture(scope="session")
def registry() -> Iterator[piddm.Registry]:
    with piddm.Registry(
        _target("PIDDM_TEST_REGISTRY"), token=os.environ.get("PIDDM_TEST_REGISTRY_TOKEN")
    ) as client:
        yield client


@pytest.fixture(scope="session")
def trainer() -> Iterator[piddm.Trainer]:
    with piddm.Trainer(
        _target("PIDDM_TEST_TRAINER"), token=os.environ.get("PIDDM_TEST_TRAINER_TOKEN")
    ) as client:
        yield client
