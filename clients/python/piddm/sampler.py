"""The sampler service from Python: fields in, fields out, as NumPy arrays.

``Sampler.generate`` returns :class:`Fields`; ``Sampler.reconstruct`` returns a
:class:`Reconstruction`, an iterator of :class:`Progress` events whose ``result()`` is the
:class:`ReconstructionResult`; closing it cancels the call, and the server stops the optimisation
at its next step (the contract: ``proto/src/main/proto/piddm/v1/sampler.proto``).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import grpc
import numpy as np
from numpy.typing import NDArray

from . import _contracts
from ._channel import ServiceClient, Stream, TlsOption, timestamp
from .errors import Cancelled, TensorError
from .manifest import Grid, Manifest, pde_name
from .tensors import float32_field, from_tensor, require_shape, to_tensor

SERVICE = "piddm.v1.SamplerService"


@dataclass(frozen=True)
class ModelIdentity:
    """The model that produced an answer: name, registry version, alias, PDE and grid."""

    model_name: str
    version: int
    alias: str
    pde: str
    grid: Grid

    @staticmethod
    def of(message: Any) -> "ModelIdentity":
        return ModelIdentity(
            message.model_name,
            message.version,
            message.alias,
            pde_name(message.pde),
            Grid.of(message.grid),
        )

    @property
    def channels(self) -> Tuple[str, ...]:
        return self.grid.channels


@dataclass(frozen=True)
class Refinement:
    """PIDDM-ref: ``steps`` of Adam on the noise against the PDE residual before the final field.

    ``learning_rate`` 0 means the server's default (0.05). ``lambda_solution`` weighs the
    solution term (the residual through the inverse Dirichlet Laplacian); None means the
    model's default: 10 where its graph has the term, else 0.
    """

    steps: int
    lambda_infer: float = 1.0
    learning_rate: float = 0.0
    typicality_weight: float = 0.0
    lambda_solution: Optional[float] = None


@dataclass(frozen=True)
class Fields:
    """Generated fields: ``data`` is float32 [N, C, H, W] in physical units.

    ``np.asarray(fields)`` is ``data``; ``fields.channel("a")`` is one channel, [N, H, W].
    """

    data: NDArray[np.float32]
    pde_error: NDArray[np.float64]  # float64 [N], mean squared residual per field
    model: ModelIdentity
    network_evaluations: int  # per field
    server_millis: float

    def __array__(self, dtype: Any = None, copy: Optional[bool] = None) -> NDArray[Any]:
        if dtype is None and not copy:
            return self.data
        return self.data.astype(dtype or self.data.dtype, copy=True)

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def channel(self, name: str) -> NDArray[np.float32]:
        """The [N, H, W] values of the channel called ``name`` (e.g. ``"a"`` or ``"u"``)."""
        return self.data[:, _channel_index(self.model.channels, name)]


@dataclass(frozen=True)
class Progress:
    """One optimisation step of one ensemble member; ``field`` every ``field_every`` steps."""

    member: int
    step: int
    loss: float
    pde_error: float
    observation_error: float
    field: Optional[NDArray[np.float32]]  # float32 [C, H, W]


@dataclass(frozen=True)
class ReconstructionResult:
    """A finished reconstruction: the ensemble's mean, its spread and the members themselves."""

    mean: NDArray[np.float32]  # float32 [C, H, W]
    spread: NDArray[np.float32]  # float32 [C, H, W], population std over members (zeros for one)
    members: List[NDArray[np.float32]]  # float32 [C, H, W] each; empty for a single member
    pde_error: float
    observation_error: float
    model: ModelIdentity
    steps: int
    server_millis: float
    # what ran: steps, learning_rate, lambda_obs, lambda_pde, lambda_solution (the request's,
    # or the model's defaults for the task where it left them unset)
    settings: Dict[str, float]
    # the optimiser that ran: "lbfgs" or "adam"
    optimizer: str

    def channel(self, name: str) -> NDArray[np.float32]:
        """The mean's [H, W] values of channel ``name``."""
        return self.mean[_channel_index(self.model.channels, name)]


@dataclass(frozen=True)
class LoadFailure:
    version: int
    reason: str
    at: Optional[_dt.datetime]


@dataclass(frozen=True)
class SamplerStatus:
    """What the sampler serves: ``state`` is ``"none"``, ``"loading"`` or ``"serving"``."""

    state: str
    model: Optional[ModelIdentity]
    followed_alias: str
    execution_provider: str
    loaded_at: Optional[_dt.datetime]
    recent_failures: List[LoadFailure]
    manifest: Optional[Manifest]
    pending_version: int
    proto: Any = field(repr=False, compare=False)


class Reconstruction:
    """A running Reconstruct call: iterate for :class:`Progress`, then ``result()``.

    ``result()`` drains what is left of the stream and returns the result. ``close()`` (or
    leaving a ``with`` block early) cancels the call; ``result()`` then raises
    :class:`piddm.Cancelled`.
    """

    def __init__(self, stream: Stream[Any]) -> None:
        self._stream = stream
        self._result: Optional[ReconstructionResult] = None

    def __iter__(self) -> "Reconstruction":
        return self

    def __next__(self) -> Progress:
        for response in self._stream:
            if response.HasField("progress"):
                return _progress(response.progress)
            if response.HasField("result"):
                self._result = _result(response.result)
        raise StopIteration

    def result(self) -> ReconstructionResult:
        """The final result, after consuming any progress events not yet read."""
        for _ in self:
            pass
        if self._result is None:
            raise Cancelled(
                grpc.StatusCode.CANCELLED,
                "the reconstruction was closed before its result arrived",
                f"/{SERVICE}/Reconstruct",
            )
        return self._result

    def close(self) -> None:
        """Cancels the call; the server stops at its next step."""
        self._stream.close()

    @property
    def closed(self) -> bool:
        return self._stream.closed

    def __enter__(self) -> "Reconstruction":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


PointsLike = Union[NDArray[np.integer[Any]], Sequence[Tuple[int, int, int]]]


class Sampler(ServiceClient):
    """Client of a sampler service at ``target`` (``host:port``, the mesh's default 9103).

    Args:
        target: the sampler's gRPC address.
        tls: ``None`` for plaintext; a CA file (PEM) path or its bytes to check the server's
            certificate against; ``True`` for the system's CAs.
        timeout: seconds a unary call may take (Reconstruct streams have no deadline unless
            one is passed to it).
    """

    def __init__(
        self, target: str = "localhost:9103", tls: TlsOption = None, timeout: float = 60.0
    ) -> None:
        super().__init__(target, SERVICE, tls, timeout)

    def generate(
        self,
        count: int,
        seed: int = 0,
        *,
        refinement: Optional[Refinement] = None,
        model_name: str = "",
        version: int = 0,
        alias: str = "",
    ) -> Fields:
        """``count`` fields from ``seed``: the same seed and model version give the same bytes.

        ``model_name``/``version``/``alias`` pin what the sampler must be serving (NotFound
        otherwise), so a client can insist on the version it validated.
        """
        request = self._service.request("Generate", count=count, seed=_seed(seed))
        _pin(request.model, model_name, version, alias)
        if refinement is not None:
            r = request.refinement
            r.steps = refinement.steps
            r.lambda_infer = refinement.lambda_infer
            r.learning_rate = refinement.learning_rate
            r.typicality_weight = refinement.typicality_weight
            if refinement.lambda_solution is not None:
                r.lambda_solution = refinement.lambda_solution
        response = self._service.unary("Generate", request)
        return Fields(
            data=from_tensor(response.fields, "fields"),
            pde_error=np.asarray(response.pde_error, dtype=np.float64),
            model=ModelIdentity.of(response.model),
            network_evaluations=response.network_evaluations,
            server_millis=response.server_millis,
        )

    def reconstruct(
        self,
        observations: Any,
        *,
        mask: Any = None,
        points: Optional[PointsLike] = None,
        task: str = "inverse",
        lambda_obs: Optional[float] = None,
        lambda_pde: Optional[float] = None,
        lambda_solution: Optional[float] = None,
        steps: Optional[int] = None,
        learning_rate: Optional[float] = None,
        optimizer: Optional[str] = None,
        field_every: int = 0,
        seed: int = 0,
        ensemble_size: int = 1,
        model_name: str = "",
        version: int = 0,
        alias: str = "",
        timeout: Optional[float] = None,
    ) -> Reconstruction:
        """Starts a reconstruction from ``observations`` (float [C, H, W], physical units).

        Exactly one of ``mask`` (bool or 0/1 array [C, H, W], true where observed) and
        ``points`` (``(channel, row, col)`` triples) says which entries are observed; values
        outside it are ignored but must still be finite. ``task`` is ``"forward"``,
        ``"inverse"`` or ``"reconstruction"``. ``steps``, ``learning_rate`` and the weights left
        as None take the served model's settings for ``task`` (chosen on a validation set and
        published with it; :attr:`ReconstructionResult.settings` says what ran); give any weight
        and the others not given are 0. ``lambda_solution`` > 0 adds the solution term where the
        model's graph has it (InvalidArgument where it has not). ``optimizer`` is ``"lbfgs"`` or
        ``"adam"`` (None: the model's for ``task``); ``steps`` counts evaluations of the graph
        either way.
        Nothing is sent when an array is invalid: :class:`piddm.TensorError` says why.
        """
        if mask is not None and points is not None:
            raise ValueError("pass either mask or points, not both")
        request = self._service.request(
            "Reconstruct",
            task=_contracts.enum_value("piddm.v1.TaskKind", task, "TASK_KIND_"),
            steps=steps or 0,
            learning_rate=learning_rate or 0.0,
            field_every=field_every,
            seed=_seed(seed),
            ensemble_size=ensemble_size,
        )
        if optimizer is not None:
            request.optimizer = _contracts.enum_value(
                "piddm.v1.ReconstructOptimizer", optimizer, "RECONSTRUCT_OPTIMIZER_"
            )
        if lambda_obs is not None or lambda_pde is not None or lambda_solution is not None:
            request.lambda_obs = lambda_obs or 0.0
            request.lambda_pde = lambda_pde or 0.0
            request.lambda_solution = lambda_solution or 0.0
        _pin(request.model, model_name, version, alias)
        obs = np.asarray(observations)
        request.observations.CopyFrom(float32_field(obs, "observations"))
        if mask is not None:
            request.dense_mask.CopyFrom(_mask(mask, obs.shape))
        elif points is not None:
            for channel, row, col in _points(points):
                request.points.points.add(channel=channel, row=row, col=col)
        return Reconstruction(
            self._service.server_stream("Reconstruct", request, lambda m: m, timeout=timeout)
        )

    def status(self) -> SamplerStatus:
        """The model being served, the alias it follows, and recent load failures."""
        r = self._service.unary("ModelStatus", self._service.request("ModelStatus"))
        return SamplerStatus(
            state=_contracts.enum_name("piddm.v1.LoadState", r.state, "LOAD_STATE_"),
            model=ModelIdentity.of(r.model) if r.HasField("model") else None,
            followed_alias=r.followed_alias,
            execution_provider=r.execution_provider,
            loaded_at=timestamp(r.loaded_at),
            recent_failures=[
                LoadFailure(f.version, f.reason, timestamp(f.at)) for f in r.recent_failures
            ],
            manifest=Manifest.of(r.manifest) if r.HasField("manifest") else None,
            pending_version=r.pending_version,
            proto=r,
        )


def _seed(seed: int) -> int:
    if seed < 0 or seed >= 2**64:
        raise ValueError(f"seed {seed} is outside uint64 [0, 2^64)")
    return int(seed)


def _pin(ref: Any, model_name: str, version: int, alias: str) -> None:
    ref.model_name = model_name
    ref.version = version
    ref.alias = alias


def _channel_index(channels: Sequence[str], name: str) -> int:
    if name not in channels:
        raise KeyError(f"no channel {name!r}; the model's channels are {list(channels)}")
    return list(channels).index(name)


def _mask(mask: Any, shape: Tuple[int, ...]) -> Any:
    values = np.asarray(mask)
    require_shape(values, 3, "mask", "[C, H, W]")
    if values.shape != shape:
        raise TensorError(
            f"mask: shape {list(values.shape)} differs from the observations' {list(shape)}"
        )
    if values.dtype != np.bool_:
        if values.dtype.kind not in "fiu":
            raise TensorError(f"mask: dtype {values.dtype} is neither bool nor 0/1 numbers")
        if not np.isin(values, (0, 1)).all():
            raise TensorError("mask: values other than 0 and 1 (use a bool array)")
        values = values.astype(np.bool_)
    if not values.any():
        raise TensorError("mask: no entry is observed")
    return to_tensor(values, "mask")


def _points(points: PointsLike) -> Iterable[Tuple[int, int, int]]:
    values = np.asarray(points)
    if values.ndim != 2 or values.shape[1] != 3 or values.dtype.kind not in "iu":
        raise TensorError(
            f"points: expected integer (channel, row, col) triples, shape [K, 3]; got"
            f" {values.dtype} {list(values.shape)}"
        )
    if len(values) == 0:
        raise TensorError("points: no point is observed")
    return [(int(c), int(r), int(k)) for c, r, k in values]


def _progress(p: Any) -> Progress:
    return Progress(
        member=p.member,
        step=p.step,
        loss=p.loss,
        pde_error=p.pde_error,
        observation_error=p.observation_error,
        field=from_tensor(p.field, "progress.field") if p.HasField("field") else None,
    )


def _result(r: Any) -> ReconstructionResult:
    return ReconstructionResult(
        mean=from_tensor(r.mean, "mean"),
        spread=from_tensor(r.spread, "spread"),
        members=[from_tensor(m, f"members[{k}]") for k, m in enumerate(r.members)],
        pde_error=r.pde_error,
        observation_error=r.observation_error,
        model=ModelIdentity.of(r.model),
        steps=r.steps,
        server_millis=r.server_millis,
        settings={
            "steps": r.settings.steps,
            "learning_rate": r.settings.learning_rate,
            "lambda_obs": r.settings.lambda_obs,
            "lambda_pde": r.settings.lambda_pde,
            "lambda_solution": r.settings.lambda_solution,
        },
        optimizer=_contracts.enum_name(
            "piddm.v1.ReconstructOptimizer", r.settings.optimizer, "RECONSTRUCT_OPTIMIZER_"
        ),
    )


__all__ = [
    "Fields",
    "LoadFailure",
    "ModelIdentity",
    "Progress",
    "Reconstruction",
    "ReconstructionResult",
    "Refinement",
    "Sampler",
    "SamplerStatus",
]
