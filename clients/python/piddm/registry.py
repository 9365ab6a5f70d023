"""The model registry from Python: models, versions, manifests, checked downloads and aliases.

Reads need no token (unless the registry closed them); uploads and alias moves need the bearer
token, found as the piddm CLI finds it (``token=``, ``$PIDDM_REGISTRY_TOKEN``, or the token an
embedded registry generated in ``~/.piddm/registry/token``). Alias moves are compare-and-set on
the alias's revision: read it with :meth:`Registry.alias`, pass it as ``expected_revision``, and
on :class:`piddm.Aborted` read again and retry (``proto/.../registry.proto``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from . import _contracts
from ._channel import (
    ServiceClient,
    Stream,
    TlsOption,
    iterate_pages,
    resolve_token,
    timestamp,
)
from .errors import ChecksumError
from .manifest import Alias, FileEntry, Manifest

SERVICE = "piddm.v1.RegistryService"
CHUNK_BYTES = 1024 * 1024  # the registry's default chunk; at most 4 MiB per message


@dataclass(frozen=True)
class ModelSummary:
    """A model with its latest version and its aliases."""

    model_name: str
    latest_version: int
    version_count: int
    aliases: List[Alias]


@dataclass(frozen=True)
class AliasEvent:
    """An alias move seen by :meth:`Registry.watch_aliases`; ``initial`` for the first snapshot."""

    alias: Alias
    initial: bool


@dataclass(frozen=True)
class AliasMove:
    """One entry of an alias's history: ``kind`` is ``"set"`` or ``"rollback"``."""

    model_name: str
    alias: str
    kind: str
    from_version: int
    to_version: int
    revision: int
    actor: str
    reason: str
    at: Optional[_dt.datetime]


FileSource = Union[bytes, str, "os.PathLike[str]"]


class Registry(ServiceClient):
    """Client of a registry service at ``target`` (``host:port``, the mesh's default 9102).

    Args:
        target: the registry's gRPC address.
        token: bearer token for uploads and alias moves (default: as the CLI finds it).
        tls: ``None`` for plaintext, a CA file (PEM) path or bytes, or ``True``.
        timeout: seconds a unary call may take.
    """

    def __init__(
        self,
        target: str = "localhost:9102",
        token: Optional[str] = None,
        tls: TlsOption = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(
            target,
            SERVICE,
            tls,
            timeout,
            token=resolve_token(token, "PIDDM_REGISTRY_TOKEN", "registry"),
        )

    # --- reading -------------------------------------------------------------------------------

    def models(self) -> List[ModelSummary]:
        """Every model, by name, with its latest version and aliases."""

        def page(token: str) -> Tuple[List[ModelSummary], str]:
            r = self._service.unary(
                "ListModels", self._service.request("ListModels", page_token=token)
            )
            return [
                ModelSummary(
                    m.model_name,
                    m.latest_version,
                    m.version_count,
                    [Alias.of(a) for a in m.aliases],
                )
                for m in r.models
            ], r.next_page_token

        return list(iterate_pages(page))

    def versions(self, model_name: str) -> List[Manifest]:
        """A model's versions, newest first."""

        def page(token: str) -> Tuple[List[Manifest], str]:
            r = self._service.unary(
                "ListVersions",
                self._service.request("ListVersions", model_name=model_name, page_token=token),
            )
            return [Manifest.of(m) for m in r.versions], r.next_page_token

        return list(iterate_pages(page))

    def manifest(
        self, model_name: str, *, version: Optional[int] = None, alias: Optional[str] = None
    ) -> Manifest:
        """One version's manifest, by ``version`` or through ``alias`` (one of them)."""
        request = self._service.request("GetVersion")
        _select(request.selector, model_name, version, alias)
        return Manifest.of(self._service.unary("GetVersion", request).manifest)

    def download(
        self,
        model_name: str,
        file_name: str,
        *,
        version: Optional[int] = None,
        alias: Optional[str] = None,
        timeout: float = 600.0,
    ) -> bytes:
        """A file's bytes, after checking their size and sha256 against the manifest.

        Raises:
            ChecksumError: the bytes received differ from what the manifest declares.
        """
        chunks: List[bytes] = []
        entry = self._download(model_name, file_name, version, alias, timeout, chunks.append)
        data = b"".join(chunks)
        _check(entry, len(data), hashlib.sha256(data).hexdigest())
        return data

    def download_to(
        self,
        model_name: str,
        file_name: str,
        path: Union[str, "os.PathLike[str]"],
        *,
        version: Optional[int] = None,
        alias: Optional[str] = None,
        timeout: float = 600.0,
    ) -> Path:
        """Streams a file to ``path`` (a file, or a folder to put ``file_name`` in) and checks it.

        The bytes land in a temporary file next to ``path`` and are renamed into place only when
        their sha256 matches, so ``path`` never holds a partial or corrupted file.
        """
        target = Path(path)
        if target.is_dir():
            target = target / file_name
        digest = hashlib.sha256()
        size = 0
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:

                def write(data: bytes) -> None:
                    nonlocal size
                    out.write(data)
                    digest.update(data)
                    size += len(data)

                entry = self._download(model_name, file_name, version, alias, timeout, write)
            _check(entry, size, digest.hexdigest())
            os.replace(temporary, target)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return target

    def alias(self, model_name: str, alias: str) -> Alias:
        """Where ``alias`` points now, with the revision a move must expect."""
        r = self._service.unary(
            "GetAlias", self._service.request("GetAlias", model_name=model_name, alias=alias)
        )
        return Alias.of(r.alias)

    def alias_history(self, model_name: str, alias: str = "") -> List[AliasMove]:
        """An alias's moves (every alias's when ``alias`` is empty), newest first."""

        def page(token: str) -> Tuple[List[AliasMove], str]:
            r = self._service.unary(
                "GetAliasHistory",
                self._service.request(
                    "GetAliasHistory", model_name=model_name, alias=alias, page_token=token
                ),
            )
            return [
                AliasMove(
                    m.model_name,
                    m.alias,
                    _contracts.enum_name("piddm.v1.AliasMoveKind", m.kind, "ALIAS_MOVE_KIND_"),
                    m.from_version,
                    m.to_version,
                    m.revision,
                    m.actor,
                    m.reason,
                    timestamp(m.at),
                )
                for m in r.moves
            ], r.next_page_token

        return list(iterate_pages(page))

    def watch_aliases(
        self,
        model_name: str = "",
        alias: str = "",
        seen_revisions: Optional[Mapping[str, int]] = None,
    ) -> Stream[AliasEvent]:
        """A stream of alias moves: the current state first (``initial``), then every change.

        ``seen_revisions`` (``{"model/alias": revision}``) skips moves already seen, e.g. after
        a reconnect. The stream never ends by itself: ``close()`` it (or use ``with``).
        """
        request = self._service.request("WatchAliases", model_name=model_name, alias=alias)
        for key, revision in (seen_revisions or {}).items():
            request.seen_revisions[key] = revision
        return self._service.server_stream(
            "WatchAliases", request, lambda e: AliasEvent(Alias.of(e.alias), e.initial)
        )

    # --- changing (token needed) ---------------------------------------------------------------

    def set_alias(
        self,
        model_name: str,
        alias: str,
        version: int,
        *,
        expected_revision: Optional[int] = None,
        force: bool = False,
        reason: str = "",
    ) -> Alias:
        """Points ``alias`` at ``version`` if the alias is still at ``expected_revision``.

        ``expected_revision`` 0 means the alias must not exist yet; ``force=True`` skips the
        check. Promotion gates apply (:class:`piddm.FailedPrecondition` names the failing rule);
        :class:`piddm.Aborted` means someone moved the alias since it was read.
        """
        if expected_revision is None and not force:
            raise ValueError(
                "set_alias is compare-and-set: pass expected_revision (alias(...).revision, or 0"
                " for a new alias) or force=True"
            )
        request = self._service.request(
            "SetAlias",
            model_name=model_name,
            alias=alias,
            version=version,
            expected_revision=expected_revision or 0,
            force=force,
            reason=reason,
        )
        return Alias.of(self._service.unary("SetAlias", request).alias)

    def rollback_alias(
        self, model_name: str, alias: str, *, expected_revision: int = 0, reason: str = ""
    ) -> Alias:
        """Moves ``alias`` back to the version before its last move (0: no revision check)."""
        request = self._service.request(
            "RollbackAlias",
            model_name=model_name,
            alias=alias,
            expected_revision=expected_revision,
            reason=reason,
        )
        return Alias.of(self._service.unary("RollbackAlias", request).alias)

    def create_version(
        self,
        model_name: str,
        files: Mapping[str, FileSource],
        *,
        metrics: Optional[Mapping[str, float]] = None,
        labels: Optional[Mapping[str, str]] = None,
        description: str = "",
        manifest: Optional[Mapping[str, Any]] = None,
        request_alias: str = "",
        media_types: Optional[Mapping[str, str]] = None,
        timeout: float = 600.0,
    ) -> Manifest:
        """Uploads ``files`` (name -> bytes or a path) as the model's next version.

        Each file is declared with its size and sha256 before its bytes are streamed, so the
        registry refuses anything that arrives changed. ``manifest`` takes further manifest fields
        in protobuf JSON form (e.g. ``{"pde": "PDE_DARCY", "grid": {...}}``).
        """
        header = _contracts.v1("CreateVersionHeader")(
            model_name=model_name, request_alias=request_alias
        )
        if manifest:
            from google.protobuf import json_format

            json_format.ParseDict(dict(manifest), header.manifest)
        header.manifest.metrics.update(dict(metrics or {}))
        header.manifest.labels.update(dict(labels or {}))
        if description:
            header.manifest.description = description
        sources: Dict[str, FileSource] = dict(files)
        for name, source in sources.items():
            size, sha = _measure(source)
            header.manifest.files.add(
                name=name,
                size_bytes=size,
                sha256=sha,
                media_type=(media_types or {}).get(name, _media_type(name)),
            )
        request_type = _contracts.v1("CreateVersionRequest")

        def messages() -> Iterator[Any]:
            yield request_type(header=header)
            for name, source in sources.items():
                offset = 0
                for data in _chunks(source):
                    yield request_type(
                        chunk=_contracts.v1("FileChunk")(file_name=name, offset=offset, data=data)
                    )
                    offset += len(data)

        response = self._service.client_stream("CreateVersion", messages(), timeout=timeout)
        return Manifest.of(response.manifest)

    # --- helpers -------------------------------------------------------------------------------

    def _download(
        self,
        model_name: str,
        file_name: str,
        version: Optional[int],
        alias: Optional[str],
        timeout: float,
        sink: Any,
    ) -> FileEntry:
        request = self._service.request("Download", file_name=file_name)
        _select(request.selector, model_name, version, alias)
        entry: Optional[FileEntry] = None
        expected_offset = 0
        with self._service.server_stream("Download", request, lambda m: m, timeout) as stream:
            for part in stream:
                if part.HasField("header"):
                    entry = FileEntry.of(part.header.file)
                elif part.HasField("chunk"):
                    if part.chunk.offset != expected_offset:
                        raise ChecksumError(
                            f"{file_name}: chunk at offset {part.chunk.offset}, expected"
                            f" {expected_offset}"
                        )
                    sink(part.chunk.data)
                    expected_offset += len(part.chunk.data)
        if entry is None:
            raise ChecksumError(f"{file_name}: the registry sent no header with size and sha256")
        return entry


def _select(selector: Any, model_name: str, version: Optional[int], alias: Optional[str]) -> None:
    if (version is None) == (alias is None):
        raise ValueError("pass exactly one of version= and alias=")
    selector.model_name = model_name
    if version is not None:
        selector.version = version
    else:
        selector.alias = alias


def _check(entry: FileEntry, size: int, sha256: str) -> None:
    if size != entry.size_bytes:
        raise ChecksumError(
            f"{entry.name}: received {size} bytes, the manifest declares {entry.size_bytes}"
        )
    if sha256 != entry.sha256:
        raise ChecksumError(
            f"{entry.name}: sha256 {sha256} of the received bytes differs from the manifest's"
            f" {entry.sha256}"
        )


def _measure(source: FileSource) -> Tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    for data in _chunks(source):
        digest.update(data)
        size += len(data)
    return size, digest.hexdigest()


def _chunks(source: FileSource) -> Iterator[bytes]:
    if isinstance(source, bytes):
        for at in range(0, len(source), CHUNK_BYTES):
            yield source[at : at + CHUNK_BYTES]
        return
    with open(source, "rb") as f:
        while True:
            data = f.read(CHUNK_BYTES)
            if not data:
                return
            yield data


def _media_type(name: str) -> str:
    if name.endswith(".onnx"):
        return "application/onnx"
    if name.endswith(".json"):
        return "application/json"
    return "application/octet-stream"
