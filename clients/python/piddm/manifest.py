"""Typed views of the registry's records (``proto/.../manifest.proto``), shared by all clients.

Each dataclass keeps the original message in ``proto`` for the fields it does not lift out
(lineage, residual spec, normalisation), so nothing the server sent is lost.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from . import _contracts
from ._channel import timestamp


def pde_name(number: int) -> str:
    """``"darcy"``, ``"poisson"``, ... for a ``piddm.v1.Pde`` value."""
    return _contracts.enum_name("piddm.v1.Pde", number, "PDE_")


@dataclass(frozen=True)
class Grid:
    """A node grid over the unit square: ``height`` x ``width`` nodes and their channel names."""

    height: int
    width: int
    spacing_y: float
    spacing_x: float
    channels: Tuple[str, ...]

    @staticmethod
    def of(message: Any) -> "Grid":
        return Grid(
            message.height,
            message.width,
            message.spacing_y,
            message.spacing_x,
            tuple(message.channels),
        )


@dataclass(frozen=True)
class FileEntry:
    """One file of a model version, with the size and sha256 the registry checks."""

    name: str
    size_bytes: int
    sha256: str
    media_type: str

    @staticmethod
    def of(message: Any) -> "FileEntry":
        return FileEntry(message.name, message.size_bytes, message.sha256, message.media_type)


@dataclass(frozen=True)
class Manifest:
    """A model version's manifest: what was trained, how well, and which files hold it."""

    model_name: str
    version: int
    pde: str
    grid: Grid
    metrics: Dict[str, float]
    files: List[FileEntry]
    labels: Dict[str, str]
    description: str
    created_at: Optional[_dt.datetime]
    created_by: str
    proto: Any = field(repr=False, compare=False)

    @staticmethod
    def of(message: Any) -> "Manifest":
        return Manifest(
            model_name=message.model_name,
            version=message.version,
            pde=pde_name(message.pde),
            grid=Grid.of(message.grid),
            metrics=dict(message.metrics),
            files=[FileEntry.of(f) for f in message.files],
            labels=dict(message.labels),
            description=message.description,
            created_at=timestamp(message.created_at),
            created_by=message.created_by,
            proto=message,
        )

    def file(self, name: str) -> FileEntry:
        """The entry of file ``name``; KeyError listing the files when there is none."""
        for entry in self.files:
            if entry.name == name:
                return entry
        raise KeyError(
            f"{self.model_name} v{self.version} has no file {name!r}; it has "
            f"{[f.name for f in self.files]}"
        )


@dataclass(frozen=True)
class Alias:
    """Where an alias points. ``revision`` is what a compare-and-set move must expect."""

    model_name: str
    alias: str
    version: int
    previous_version: int
    revision: int
    updated_at: Optional[_dt.datetime]
    updated_by: str
    reason: str

    @staticmethod
    def of(message: Any) -> "Alias":
        return Alias(
            message.model_name,
            message.alias,
            message.version,
            message.previous_version,
            message.revision,
            timestamp(message.updated_at),
            message.updated_by,
            message.reason,
        )
