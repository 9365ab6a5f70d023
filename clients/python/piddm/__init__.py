"""piddm: a Python client of the PIDDM mesh — NumPy in, NumPy out.

>>> import piddm
>>> sampler = piddm.Sampler("localhost:9103")
>>> fields = sampler.generate(4, seed=1)          # float32 [4, C, H, W], physical units
>>> fields.pde_error, fields.model.version

Three clients, one per service (contracts in the repository's ``proto/``): :class:`Sampler`
(generate, reconstruct, status), :class:`Registry` (models, manifests, checked downloads,
compare-and-set aliases, watches, uploads) and :class:`Trainer` (start, watch, cancel runs).
Every failure is a :class:`PiddmError`; a refused call is an :class:`RpcError` with ``code`` and
the server's ``message``.
"""

from .errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    ChecksumError,
    DataLoss,
    DeadlineExceeded,
    FailedPrecondition,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PiddmError,
    ResourceExhausted,
    RpcError,
    TensorError,
    Unauthenticated,
    Unavailable,
)
from .manifest import Alias, FileEntry, Grid, Manifest
from .registry import AliasEvent, AliasMove, ModelSummary, Registry
from .sampler import (
    Fields,
    LoadFailure,
    ModelIdentity,
    Progress,
    Reconstruction,
    ReconstructionResult,
    Refinement,
    Sampler,
    SamplerStatus,
)
from .tensors import from_tensor, to_tensor
from .trainer import Run, RunEvent, Trainer, run_spec

__version__ = "0.1.0"

__all__ = [
    "Aborted",
    "Alias",
    "AliasEvent",
    "AliasMove",
    "AlreadyExists",
    "Cancelled",
    "ChecksumError",
    "DataLoss",
    "DeadlineExceeded",
    "FailedPrecondition",
    "Fields",
    "FileEntry",
    "Grid",
    "Internal",
    "InvalidArgument",
    "LoadFailure",
    "Manifest",
    "ModelIdentity",
    "ModelSummary",
    "NotFound",
    "PermissionDenied",
    "PiddmError",
    "Progress",
    "Reconstruction",
    "ReconstructionResult",
    "Refinement",
    "Registry",
    "ResourceExhausted",
    "RpcError",
    "Run",
    "RunEvent",
    "Sampler",
    "SamplerStatus",
    "TensorError",
    "Trainer",
    "Unauthenticated",
    "Unavailable",
    "from_tensor",
    "run_spec",
    "to_tensor",
]
