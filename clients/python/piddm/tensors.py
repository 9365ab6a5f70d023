"""NumPy arrays <-> ``piddm.v1.Tensor`` messages, byte for byte as the Java services write them.

The contract (``proto/src/main/proto/piddm/v1/tensor.proto``): ``data`` holds product(shape)
elements of ``dtype``, little-endian, row-major (C order). A receiver refuses a float tensor with
NaN or Inf, so :func:`to_tensor` refuses it here, naming the array and the first bad element,
before a request is sent; it also refuses dtypes the contract has no code for (float16, complex,
object, ...) instead of guessing a conversion.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np
from numpy.typing import NDArray

from . import _contracts
from .errors import TensorError

_ENUM = "piddm.v1.DType"

# DType name (without "DTYPE_") <-> little-endian NumPy dtype
_NUMPY: Dict[str, np.dtype] = {
    "FLOAT32": np.dtype("<f4"),
    "FLOAT64": np.dtype("<f8"),
    "INT32": np.dtype("<i4"),
    "INT64": np.dtype("<i8"),
    "UINT8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}


def _code(name: str) -> int:
    return _contracts.enum_value(_ENUM, name, "DTYPE_")


def _name_of(dtype: np.dtype) -> Optional[str]:
    for name, candidate in _NUMPY.items():
        if dtype.kind == candidate.kind and dtype.itemsize == candidate.itemsize:
            return name
    return None


def to_tensor(array: Any, what: str = "tensor", dtype: Optional[str] = None) -> Any:
    """A ``piddm.v1.Tensor`` holding ``array``.

    Args:
        array: a NumPy array (or anything ``np.asarray`` accepts) of float32, float64, int32,
            int64, uint8 or bool.
        what: the name used in error messages, e.g. ``"observations"``.
        dtype: optionally the wire dtype to send (``"float32"``, ...); the values are converted
            to it, and a float64 value that overflows float32 is refused.

    Raises:
        TensorError: an unsupported dtype, NaN or Inf in a float array, or an overflow.
    """
    values = np.asarray(array)
    if values.dtype.kind not in "fiub":
        raise TensorError(
            f"{what}: dtype {values.dtype} cannot be sent; use float32, float64, int32, int64,"
            " uint8 or bool"
        )
    if values.dtype.kind == "f":
        _require_finite(values, what)
    name = _name_of(values.dtype)
    if dtype is not None:
        target = dtype.strip().upper()
        if target not in _NUMPY:
            raise TensorError(f"{what}: unknown wire dtype {dtype!r}; one of {sorted(_NUMPY)}")
        if values.dtype.kind == "f" and _NUMPY[target].kind == "f":
            with np.errstate(over="ignore"):
                converted = values.astype(_NUMPY[target])
            _require_finite(converted, what, overflow=True)
        else:
            converted = values.astype(_NUMPY[target])
        values, name = converted, target
    if name is None:
        raise TensorError(
            f"{what}: dtype {values.dtype} has no piddm.v1.DType; use float32, float64, int32,"
            " int64, uint8 or bool"
        )
    data = np.ascontiguousarray(values, dtype=_NUMPY[name]).tobytes(order="C")
    tensor = _contracts.v1("Tensor")(dtype=_code(name), data=data)
    tensor.shape.extend(int(n) for n in values.shape)
    return tensor


def _require_finite(values: NDArray[Any], what: str, overflow: bool = False) -> None:
    finite = np.isfinite(values)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        reason = "overflows float32" if overflow else f"is {values[index]}"
        raise TensorError(
            f"{what}: element {list(index)} {reason}; NaN and Inf are refused by the contract"
        )


def from_tensor(tensor: Any, what: str = "tensor") -> NDArray[Any]:
    """The NumPy array (native byte order, C order, writable) held by a ``piddm.v1.Tensor``.

    Raises:
        TensorError: an unknown dtype, a negative dimension, or a byte count that does not match
            the shape.
    """
    name = _contracts.enum_name(_ENUM, tensor.dtype, "DTYPE_").upper()
    if name not in _NUMPY:
        raise TensorError(f"{what}: the server sent dtype {name}, which this client cannot read")
    shape = tuple(int(n) for n in tensor.shape)
    if any(n < 0 for n in shape):
        raise TensorError(f"{what}: negative dimension in shape {list(shape)}")
    dtype = _NUMPY[name]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(tensor.data) != expected:
        raise TensorError(
            f"{what}: {len(tensor.data)} bytes for shape {list(shape)} of {name.lower()}"
            f" (expected {expected})"
        )
    return np.frombuffer(tensor.data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def require_shape(array: NDArray[Any], ndim: int, what: str, layout: str) -> None:
    """Refuses an array with another number of dimensions, naming the layout expected."""
    if array.ndim != ndim:
        raise TensorError(
            f"{what}: expected {layout} ({ndim} dimensions), got shape {list(array.shape)}"
        )


def float32_field(array: Any, what: str, layout: Sequence[str] = ("C", "H", "W")) -> Any:
    """A float field as a float32 Tensor of ``len(layout)`` dimensions (the sampler's contract)."""
    values = np.asarray(array)
    if values.dtype.kind != "f":
        raise TensorError(
            f"{what}: dtype {values.dtype} is not floating point; fields travel as float32"
            f" [{', '.join(layout)}]"
        )
    require_shape(values, len(layout), what, "[" + ", ".join(layout) + "]")
    return to_tensor(values, what, dtype="float32")
