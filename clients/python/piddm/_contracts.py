"""Message classes of the contracts in ``proto/``, built at import time from a descriptor set.

``contracts.desc`` is a serialized ``google.protobuf.FileDescriptorSet`` of every ``.proto`` file
under ``proto/`` (and ``google/protobuf/timestamp.proto``), written from the compiled Java
contracts. Building the classes from it at run time needs no ``protoc`` or ``grpc_tools`` at
build or install time, and works with protobuf 3.21 (Debian) as well as 4.x and 5.x. The Java test
``PythonContractsTest`` (integration-tests) fails when the file no longer matches the contracts;
``-Dpiddm.update-descriptors=true`` rewrites it (see clients/python/README.md).

The classes live in a private descriptor pool, so they never clash with generated ``*_pb2``
modules that an application may import too.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import Any, Type

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

DESCRIPTOR_FILE = "contracts.desc"


def _descriptor_bytes() -> bytes:
    # importlib.resources rather than __file__: works from wheels, zips and plain checkouts alike
    return files(__package__).joinpath(DESCRIPTOR_FILE).read_bytes()


def _build_pool() -> descriptor_pool.DescriptorPool:
    contracts = descriptor_pb2.FileDescriptorSet.FromString(_descriptor_bytes())
    pool = descriptor_pool.DescriptorPool()
    for proto in contracts.file:  # dependencies come first in the set
        pool.AddSerializedFile(proto.SerializeToString())
    return pool


POOL = _build_pool()


@functools.lru_cache(maxsize=None)
def _factory() -> Any:
    return message_factory.MessageFactory(POOL)


@functools.lru_cache(maxsize=None)
def message_class(full_name: str) -> Type[Message]:
    """The class of a message by its full name, e.g. ``piddm.v1.GenerateRequest``."""
    descriptor = POOL.FindMessageTypeByName(full_name)
    if hasattr(message_factory, "GetMessageClass"):  # protobuf >= 4.22; GetPrototype is gone in 5
        return message_factory.GetMessageClass(descriptor)
    return _factory().GetPrototype(descriptor)


def v1(name: str) -> Type[Message]:
    """A ``piddm.v1`` message class by its short name."""
    return message_class("piddm.v1." + name)


def enum_value(enum: str, name: str, prefix: str) -> int:
    """The number of an enum value given without its prefix, case-insensitively.

    ``enum_value("piddm.v1.TaskKind", "inverse", "TASK_KIND_")`` is 2. Raises ValueError naming the
    accepted values when ``name`` is not one of them.
    """
    descriptor = POOL.FindEnumTypeByName(enum)
    key = prefix + name.strip().upper().replace("-", "_")
    if key in descriptor.values_by_name:
        return descriptor.values_by_name[key].number
    accepted = [
        v.name[len(prefix) :].lower()
        for v in descriptor.values
        if not v.name.endswith("UNSPECIFIED")
    ]
    raise ValueError(f"{name!r} is not a {enum.split('.')[-1]}; expected one of {accepted}")


def enum_name(enum: str, number: int, prefix: str) -> str:
    """The lower-case name of an enum value without its prefix (``"darcy"`` for PDE_DARCY)."""
    value = POOL.FindEnumTypeByName(enum).values_by_number.get(number)
    if value is None:
        return str(number)
    return value.name[len(prefix) :].lower()


def method_types(service: str, method: str) -> "tuple[Type[Message], Type[Message]]":
    """Request and response classes of ``service``'s ``method``, as the contract declares them."""
    descriptor = POOL.FindServiceByName(service).methods_by_name[method]
    return (
        message_class(descriptor.input_type.full_name),
        message_class(descriptor.output_type.full_name),
    )
