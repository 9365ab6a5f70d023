"""The tensor codec against the contract's byte layout (no mesh needed)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

import piddm
from piddm import _contracts


def test_float32_is_little_endian_c_order_as_the_java_services_write_it() -> None:
    values = np.array([[1.0, -2.5], [3.25, 1e-3]], dtype=np.float32)
    tensor = piddm.to_tensor(values)
    assert list(tensor.shape) == [2, 2]
    assert tensor.dtype == _contracts.enum_value("piddm.v1.DType", "float32", "DTYPE_")
    assert tensor.data == struct.pack("<4f", 1.0, -2.5, 3.25, np.float32(1e-3))
    # a big-endian or Fortran-ordered array travels the same way
    assert piddm.to_tensor(values.astype(">f4")).data == tensor.data
    assert piddm.to_tensor(np.asfortranarray(values)).data == tensor.data


@pytest.mark.parametrize("dtype", ["<f4", "<f8", "<i4", "<i8", "u1", "?"])
def test_every_contract_dtype_round_trips(dtype: str) -> None:
    values = (np.arange(24).reshape(2, 3, 4) % 2).astype(dtype)
    back = piddm.from_tensor(piddm.to_tensor(values))
    assert back.dtype == np.dtype(dtype)
    assert back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, values)
    back[0, 0, 0] = 1  # writable, not a view of the message's bytes


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused_naming_the_element(bad: float) -> None:
    values = np.zeros((2, 3), dtype=np.float32)
    values[1, 2] = bad
    with pytest.raises(piddm.TensorError, match=r"observations: element \[1, 2\]"):
        piddm.to_tensor(values, "observations")


@pytest.mark.parametrize(
    "values",
    [
        np.zeros(3, dtype=np.complex64),
        np.zeros(3, dtype=np.float16),
        np.array(["a"]),
        np.array([None]),
    ],
)
def test_dtypes_without_a_contract_code_are_refused(values: np.ndarray) -> None:
    with pytest.raises(piddm.TensorError, match="dtype"):
        piddm.to_tensor(values, "x")


def test_a_float64_value_that_overflows_float32_is_refused() -> None:
    with pytest.raises(piddm.TensorError, match="overflows float32"):
        piddm.to_tensor(np.array([1e300]), "x", dtype="float32")


def test_a_byte_count_that_does_not_match_the_shape_is_refused() -> None:
    tensor = piddm.to_tensor(np.zeros((2, 2), dtype=np.float32))
    tensor.shape[:] = [2, 3]
    with pytest.raises(piddm.TensorError, match="16 bytes for shape \\[2, 3\\]"):
        piddm.from_tensor(tensor)
