"""Registry: upload, manifest, checked download, compare-and-set aliases, watch, errors."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import piddm

MODEL = "python-it"


@pytest.fixture(scope="module")
def payload() -> bytes:
    return os.urandom(2 * 1024 * 1024 + 12345)  # three chunks


@pytest.fixture(scope="module")
def published(registry: piddm.Registry, payload: bytes) -> "list[piddm.Manifest]":
    first = registry.create_version(
        MODEL,
        {"model.onnx": payload, "notes.json": b'{"from": "python"}'},
        metrics={"pde_error": 0.5},
        labels={"source": "pytest"},
        description="uploaded by the Python client's tests",
    )
    second = registry.create_version(
        MODEL, {"model.onnx": payload[::-1]}, metrics={"pde_error": 0.25}
    )
    return [first, second]


def test_an_upload_comes_back_byte_for_byte_with_its_checksum(
    registry: piddm.Registry, published: "list[piddm.Manifest]", payload: bytes, tmp_path: Path
) -> None:
    first = published[0]
    assert first.model_name == MODEL and first.version >= 1
    entry = first.file("model.onnx")
    assert entry.sha256 == hashlib.sha256(payload).hexdigest()
    assert entry.size_bytes == len(payload) and entry.media_type == "application/onnx"
    assert first.labels == {"source": "pytest"} and first.metrics == {"pde_error": 0.5}
    assert first.created_at is not None

    assert registry.download(MODEL, "model.onnx", version=first.version) == payload
    saved = registry.download_to(MODEL, "model.onnx", tmp_path, version=first.version)
    assert saved == tmp_path / "model.onnx" and saved.read_bytes() == payload
    assert registry.manifest(MODEL, version=first.version).file("notes.json").size_bytes == 18


def test_models_and_versions_are_listed(
    registry: piddm.Registry, published: "list[piddm.Manifest]"
) -> None:
    summary = next(m for m in registry.models() if m.model_name == MODEL)
    assert summary.latest_version == published[1].version
    versions = [m.version for m in registry.versions(MODEL)]
    assert versions[:2] == [published[1].version, published[0].version]


def test_aliases_move_by_compare_and_set_and_roll_back(
    registry: piddm.Registry, published: "list[piddm.Manifest]"
) -> None:
    v1, v2 = (m.version for m in published)
    created = registry.set_alias(MODEL, "staging", v1, expected_revision=0, reason="first")
    assert created.version == v1
    with pytest.raises(piddm.Aborted):  # it exists now: revision 0 is stale
        registry.set_alias(MODEL, "staging", v2, expected_revision=0)
    with pytest.raises(ValueError, match="compare-and-set"):
        registry.set_alias(MODEL, "staging", v2)
    moved = registry.set_alias(MODEL, "staging", v2, expected_revision=created.revision)
    assert (moved.version, moved.previous_version) == (v2, v1)
    assert registry.manifest(MODEL, alias="staging").version == v2
    back = registry.rollback_alias(MODEL, "staging", expected_revision=moved.revision)
    assert back.version == v1
    assert [m.kind for m in registry.alias_history(MODEL, "staging")][:3] == [
        "rollback",
        "set",
        "set",
    ]


def test_watch_sends_the_current_state_then_each_move(
    registry: piddm.Registry, published: "list[piddm.Manifest]"
) -> None:
    v1, v2 = (m.version for m in published)
    current = registry.set_alias(MODEL, "watched", v1, force=True)
    with registry.watch_aliases(MODEL, "watched") as events:
        first = next(events)
        assert first.initial and first.alias.version == v1
        registry.set_alias(MODEL, "watched", v2, expected_revision=current.revision)
        moved = next(events)
        assert not moved.initial
        assert moved.alias.version == v2 and moved.alias.revision > current.revision
    assert events.closed


def test_refusals_carry_the_status_code_and_the_server_s_message(
    registry: piddm.Registry, published: "list[piddm.Manifest]"
) -> None:
    with pytest.raises(piddm.NotFound) as missing:
        registry.manifest("no-such-model", version=1)
    assert "no-such-model" in missing.value.message
    with pytest.raises(piddm.NotFound):
        registry.download(MODEL, "missing.bin", version=published[0].version)
    with piddm.Registry(registry.target, token="wrong-token") as intruder:
        with pytest.raises(piddm.PermissionDenied):
            intruder.set_alias(MODEL, "staging", published[0].version, force=True)
        # reads need no token
        assert (
            intruder.manifest(MODEL, version=published[0].version).version == published[0].version
        )
