"""The message classes built from contracts.desc (no mesh needed)."""

from __future__ import annotations

import pytest

from piddm import _contracts


def test_every_rpc_of_every_service_resolves_to_message_classes() -> None:
    services = {
        "piddm.v1.SamplerService": 3,
        "piddm.v1.RegistryService": 12,
        "piddm.v1.TrainerService": 5,
        "inference.GRPCInferenceService": 6,
    }
    for name, count in services.items():
        methods = _contracts.POOL.FindServiceByName(name).methods
        assert len(methods) == count, name
        for method in methods:
            request, response = _contracts.method_types(name, method.name)
            assert request.DESCRIPTOR.full_name == method.input_type.full_name
            assert response().SerializeToString() == b""


def test_enum_names_are_checked_and_listed() -> None:
    assert _contracts.enum_value("piddm.v1.TaskKind", "inverse", "TASK_KIND_") == 2
    with pytest.raises(
        ValueError, match="expected one of \\['forward', 'inverse', 'reconstruction'\\]"
    ):
        _contracts.enum_value("piddm.v1.TaskKind", "backwards", "TASK_KIND_")
