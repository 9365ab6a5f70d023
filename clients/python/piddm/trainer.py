"""The trainer service from Python: start a run from a spec, watch it, cancel it.

A run spec is a ``piddm.v1.RunSpec`` in protobuf JSON form, the same that ``./piddm train --spec``
reads: a dict, a JSON string, or a path to a JSON file. StartRun and CancelRun need the trainer's
bearer token (``token=``, ``$PIDDM_TRAINER_TOKEN``, or ``~/.piddm/trainer/token``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from google.protobuf import json_format

from . import _contracts
from ._channel import (
    ServiceClient,
    Stream,
    TlsOption,
    iterate_pages,
    resolve_token,
    timestamp,
)
from .manifest import Manifest

SERVICE = "piddm.v1.TrainerService"

#: What a run spec may be given as.
RunSpecLike = Union[Mapping[str, Any], str, "os.PathLike[str]"]

_FINAL = {"succeeded", "failed", "cancelled"}


def _state(number: int) -> str:
    return _contracts.enum_name("piddm.v1.RunState", number, "RUN_STATE_")


def _phase(number: int) -> str:
    return _contracts.enum_name("piddm.v1.RunPhase", number, "RUN_PHASE_")


@dataclass(frozen=True)
class Run:
    """A training run. ``state``: queued, running, succeeded, failed, cancelled; ``phase``:
    queued, data, teacher, pair_bank, student, evaluation, export, publish, done."""

    run_id: str
    state: str
    phase: str
    error: str
    metrics: Dict[str, float]
    published: Optional[Manifest]
    created_at: Optional[_dt.datetime]
    started_at: Optional[_dt.datetime]
    finished_at: Optional[_dt.datetime]
    created_by: str
    resumed_count: int
    proto: Any = field(repr=False, compare=False)

    @property
    def finished(self) -> bool:
        return self.state in _FINAL

    @staticmethod
    def of(r: Any) -> "Run":
        return Run(
            run_id=r.run_id,
            state=_state(r.state),
            phase=_phase(r.phase),
            error=r.error,
            metrics=dict(r.metrics),
            published=Manifest.of(r.published) if r.HasField("published") else None,
            created_at=timestamp(r.created_at),
            started_at=timestamp(r.started_at),
            finished_at=timestamp(r.finished_at),
            created_by=r.created_by,
            resumed_count=r.resumed_count,
            proto=r,
        )

    def spec(self) -> Dict[str, Any]:
        """The run's spec as a protobuf-JSON dict (what :meth:`Trainer.start` accepts)."""
        return json_format.MessageToDict(self.proto.spec)


@dataclass(frozen=True)
class RunEvent:
    """A progress report: the phase's ``step`` of ``total_steps``, losses and speed."""

    run_id: str
    state: str
    phase: str
    step: int
    total_steps: int
    losses: Dict[str, float]
    steps_per_second: float
    eta_seconds: float
    skipped_steps: int
    message: str
    time: Optional[_dt.datetime]

    @property
    def finished(self) -> bool:
        return self.state in _FINAL

    @staticmethod
    def of(e: Any) -> "RunEvent":
        return RunEvent(
            e.run_id,
            _state(e.state),
            _phase(e.phase),
            e.step,
            e.total_steps,
            dict(e.losses),
            e.steps_per_second,
            e.eta_seconds,
            e.skipped_steps,
            e.message,
            timestamp(e.time),
        )


def run_spec(spec: RunSpecLike) -> Any:
    """A ``piddm.v1.RunSpec`` from a dict, a JSON string or a JSON file's path.

    Field names are protobuf JSON (``heldOutCount`` or ``held_out_count``), enums by name
    (``"PDE_DARCY"``). Raises ValueError naming the offending field, before anything is sent.
    """
    if isinstance(spec, Mapping):
        text = json.dumps(dict(spec))
        source = "run spec"
    elif isinstance(spec, str) and spec.lstrip().startswith("{"):
        text, source = spec, "run spec"
    elif isinstance(spec, (str, os.PathLike)):
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"run spec: {path} is neither JSON text nor an existing file")
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        raise TypeError(
            f"run spec: expected a dict, JSON text or a path, got {type(spec).__name__}"
        )
    message = _contracts.v1("RunSpec")()
    try:
        json_format.Parse(text, message)
    except json_format.ParseError as e:
        raise ValueError(f"{source}: {e}") from None
    return message


class Trainer(ServiceClient):
    """Client of a trainer service at ``target`` (``host:port``, the mesh's default 9101).

    Args:
        target: the trainer's gRPC address.
        token: bearer token for StartRun and CancelRun (default: as the CLI finds it).
        tls: ``None`` for plaintext, a CA file (PEM) path or bytes, or ``True``.
        timeout: seconds a unary call may take.
    """

    def __init__(
        self,
        target: str = "localhost:9101",
        token: Optional[str] = None,
        tls: TlsOption = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(
            target,
            SERVICE,
            tls,
            timeout,
            token=resolve_token(token, "PIDDM_TRAINER_TOKEN", "trainer"),
        )

    def start(self, spec: RunSpecLike) -> Run:
        """Validates and queues a run; returns it QUEUED (InvalidArgument names a bad field)."""
        request = self._service.request("StartRun")
        request.spec.CopyFrom(run_spec(spec))
        return Run.of(self._service.unary("StartRun", request).run)

    def watch(self, run_id: str) -> Stream[RunEvent]:
        """The run's current state, then every phase change and progress report until it ends.

        The stream completes when the run has ended; ``close()`` stops watching (the run goes on).
        """
        return self._service.server_stream(
            "WatchRun", self._service.request("WatchRun", run_id=run_id), RunEvent.of
        )

    def cancel(self, run_id: str, reason: str = "") -> Run:
        """Stops a queued or running run at its next step (FailedPrecondition once it ended)."""
        request = self._service.request("CancelRun", run_id=run_id, reason=reason)
        return Run.of(self._service.unary("CancelRun", request).run)

    def get(self, run_id: str) -> Run:
        """One run with its spec, state and results."""
        return Run.of(
            self._service.unary("GetRun", self._service.request("GetRun", run_id=run_id)).run
        )

    def runs(self, state: Optional[str] = None) -> List[Run]:
        """Every run, newest first; ``state`` (e.g. ``"running"``) filters."""
        number = _contracts.enum_value("piddm.v1.RunState", state, "RUN_STATE_") if state else 0

        def page(token: str) -> Tuple[List[Run], str]:
            r = self._service.unary(
                "ListRuns", self._service.request("ListRuns", page_token=token, state=number)
            )
            return [Run.of(x) for x in r.runs], r.next_page_token

        return list(iterate_pages(page))
