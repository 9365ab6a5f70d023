"""Exceptions of the piddm client.

Every failure the client reports is a :class:`PiddmError`, so a caller can catch one type. A call
the server refused is an :class:`RpcError` carrying the gRPC status code and the server's own
message (which names the field, file or rule at fault); the common codes have subclasses, so
``except piddm.NotFound`` reads like the contract in ``proto/``. Problems found before anything is
sent (a NaN in a tensor, a wrong dtype, a bad argument) are :class:`TensorError` or
:class:`ValueError`-compatible errors, never a round trip to the server.
"""

from __future__ import annotations

from typing import Dict, Optional, Type

import grpc


class PiddmError(Exception):
    """Base class of every error this package raises."""


class TensorError(PiddmError, ValueError):
    """An array that cannot travel as a ``piddm.v1.Tensor``: wrong dtype, NaN/Inf, bad shape."""


class ChecksumError(PiddmError):
    """Downloaded bytes whose size or sha256 differ from what the registry's manifest declares."""


class RpcError(PiddmError):
    """A gRPC call that ended with a non-OK status.

    Attributes:
        code: the gRPC status code (``grpc.StatusCode``).
        message: the server's description, unchanged.
        method: the full method name, e.g. ``/piddm.v1.SamplerService/Generate``.
    """

    def __init__(self, code: grpc.StatusCode, message: str, method: str) -> None:
        self.code = code
        self.message = message
        self.method = method
        super().__init__(f"{code.name} from {method}: {message}")


class InvalidArgument(RpcError):
    """INVALID_ARGUMENT: the request broke the contract; the message names the field."""


class NotFound(RpcError):
    """NOT_FOUND: an unknown model, version, alias, file or run, or a pin the server does not serve."""


class AlreadyExists(RpcError):
    """ALREADY_EXISTS."""


class PermissionDenied(RpcError):
    """PERMISSION_DENIED: a wrong bearer token, or a path the service may not open."""


class Unauthenticated(RpcError):
    """UNAUTHENTICATED: a mutating call without a bearer token (pass ``token=``)."""


class ResourceExhausted(RpcError):
    """RESOURCE_EXHAUSTED: over a configured limit, or the server's queue is full."""


class FailedPrecondition(RpcError):
    """FAILED_PRECONDITION: e.g. a promotion gate failed, or the run has already ended."""


class Aborted(RpcError):
    """ABORTED: a compare-and-set lost (the alias moved since it was read): read again, retry."""


class Unavailable(RpcError):
    """UNAVAILABLE: the service cannot be reached, or has no model loaded yet."""


class Cancelled(RpcError):
    """CANCELLED: the call was cancelled, usually by closing its stream on this side."""


class DeadlineExceeded(RpcError):
    """DEADLINE_EXCEEDED: the call took longer than its ``timeout``."""


class DataLoss(RpcError):
    """DATA_LOSS: the registry's stored bytes no longer match the manifest."""


class Internal(RpcError):
    """INTERNAL: a server-side failure (e.g. in ONNX Runtime)."""


_BY_CODE: Dict[grpc.StatusCode, Type[RpcError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.DATA_LOSS: DataLoss,
    grpc.StatusCode.INTERNAL: Internal,
}


def from_grpc(error: grpc.RpcError, method: str) -> RpcError:
    """The :class:`RpcError` subclass for a failed call (``RpcError`` itself for rarer codes)."""
    code: Optional[grpc.StatusCode] = error.code() if hasattr(error, "code") else None
    details: Optional[str] = error.details() if hasattr(error, "details") else None
    if code is None:
        code = grpc.StatusCode.UNKNOWN
    return _BY_CODE.get(code, RpcError)(code, details or "", method)
