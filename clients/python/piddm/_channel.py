"""Channels, calls and streams shared by the three service clients.

One place turns a target, TLS choice and bearer token into a channel, and every call goes through
:class:`Service`, so every failure surfaces as a :class:`piddm.errors.RpcError` with the status
code and the server's message, and every server stream is a :class:`Stream` that cancels the call
when it is closed.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, Iterator, List, Optional, Tuple, TypeVar, Union

import grpc

from . import _contracts
from .errors import from_grpc

T = TypeVar("T")
C = TypeVar("C", bound="ServiceClient")

#: What ``tls=`` accepts: ``None``/``False`` for plaintext, ``True`` for the system's CAs, a CA
#: file path (PEM), or the CA's PEM bytes.
TlsOption = Union[None, bool, str, os.PathLike, bytes]

_MAX_MESSAGE = 64 * 1024 * 1024
_OPTIONS = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE),
    ("grpc.max_send_message_length", _MAX_MESSAGE),
]


def open_channel(target: str, tls: TlsOption = None) -> grpc.Channel:
    """A channel to ``target`` (``host:port``), plaintext unless ``tls`` says otherwise."""
    if tls is None or tls is False:
        return grpc.insecure_channel(target, options=_OPTIONS)
    if tls is True:
        credentials = grpc.ssl_channel_credentials()
    elif isinstance(tls, bytes):
        credentials = grpc.ssl_channel_credentials(root_certificates=tls)
    else:
        path = Path(tls)
        if not path.is_file():
            raise FileNotFoundError(f"tls: the CA file {path} does not exist")
        credentials = grpc.ssl_channel_credentials(root_certificates=path.read_bytes())
    return grpc.secure_channel(target, credentials, options=_OPTIONS)


def resolve_token(token: Optional[str], environment_variable: str, service: str) -> Optional[str]:
    """The bearer token as the piddm CLI finds it.

    ``token`` when given, else ``$environment_variable``, else the token a service generated on
    this machine in ``~/.piddm/<service>/token`` (what ``./piddm up`` and the demo use); None when
    there is none, in which case mutating calls answer UNAUTHENTICATED.
    """
    if token is not None and token.strip():
        return token.strip()
    env = os.environ.get(environment_variable, "").strip()
    if env:
        return env
    generated = Path.home() / ".piddm" / service / "token"
    if generated.is_file():
        return generated.read_text(encoding="utf-8").strip() or None
    return None


class Stream(Generic[T]):
    """A server stream as a Python iterator of converted messages.

    Closing it (``close()``, leaving a ``with`` block, or ``break`` followed by ``close()``)
    cancels the call, so the server stops working for it at once.
    """

    def __init__(self, call: Any, convert: Callable[[Any], T], method: str) -> None:
        self._call = call
        self._convert = convert
        self._method = method
        self._closed = False
        self._cancelled_here = False

    def __iter__(self) -> "Stream[T]":
        return self

    def __next__(self) -> T:
        if self._closed:
            raise StopIteration
        try:
            raw = next(self._call)
        except StopIteration:
            self._closed = True
            raise
        except grpc.RpcError as e:
            self._closed = True
            if e.code() == grpc.StatusCode.CANCELLED and self._cancelled_here:
                raise StopIteration from None
            raise from_grpc(e, self._method) from None
        return self._convert(raw)

    def close(self) -> None:
        """Cancels the call (a no-op once the stream has ended)."""
        if not self._closed:
            self._cancelled_here = True
            self._closed = True
            self._call.cancel()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Service:
    """Calls of one gRPC service, made generically from the contract's descriptors."""

    def __init__(
        self,
        channel: grpc.Channel,
        service: str,
        token: Optional[str] = None,
        timeout: Optional[float] = 60.0,
    ) -> None:
        self._channel = channel
        self._service = service
        self._metadata: List[Tuple[str, str]] = (
            [("authorization", "Bearer " + token)] if token else []
        )
        self.timeout = timeout

    def _path(self, method: str) -> str:
        return f"/{self._service}/{method}"

    def _callable(self, kind: str, method: str) -> Any:
        request_type, response_type = _contracts.method_types(self._service, method)
        factory = getattr(self._channel, kind)
        return factory(
            self._path(method),
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )

    def request(self, method: str, **fields: Any) -> Any:
        """A new, empty request message of ``method`` (fields set from keywords)."""
        request_type, _ = _contracts.method_types(self._service, method)
        return request_type(**fields)

    def unary(self, method: str, request: Any, timeout: Optional[float] = None) -> Any:
        try:
            return self._callable("unary_unary", method)(
                request, timeout=timeout or self.timeout, metadata=self._metadata
            )
        except grpc.RpcError as e:
            raise from_grpc(e, self._path(method)) from None

    def client_stream(
        self, method: str, requests: Iterable[Any], timeout: Optional[float] = None
    ) -> Any:
        try:
            return self._callable("stream_unary", method)(
                iter(requests), timeout=timeout or self.timeout, metadata=self._metadata
            )
        except grpc.RpcError as e:
            raise from_grpc(e, self._path(method)) from None

    def server_stream(
        self,
        method: str,
        request: Any,
        convert: Callable[[Any], T],
        timeout: Optional[float] = None,
    ) -> Stream[T]:
        """A :class:`Stream`; ``timeout`` None means no deadline (for watches)."""
        call = self._callable("unary_stream", method)(
            request, timeout=timeout, metadata=self._metadata
        )
        return Stream(call, convert, self._path(method))


class ServiceClient:
    """What every service client is: a channel to ``target`` and the calls of one service on it.
    Closing it (or leaving a ``with`` block) closes the channel and cancels open streams."""

    def __init__(
        self,
        target: str,
        service: str,
        tls: TlsOption,
        timeout: float,
        token: Optional[str] = None,
    ) -> None:
        self.target = target
        self._channel = open_channel(target, tls)
        self._service = Service(self._channel, service, token=token, timeout=timeout)

    def close(self) -> None:
        """Closes the channel (open streams are cancelled)."""
        self._channel.close()

    def __enter__(self: C) -> C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def timestamp(message: Any) -> Optional[_dt.datetime]:
    """A ``google.protobuf.Timestamp`` as an aware UTC datetime; None when unset (zero)."""
    if message is None or (message.seconds == 0 and message.nanos == 0):
        return None
    return _dt.datetime.fromtimestamp(message.seconds, tz=_dt.timezone.utc) + _dt.timedelta(
        microseconds=message.nanos // 1000
    )


def iterate_pages(fetch: Callable[[str], Tuple[List[T], str]]) -> Iterator[T]:
    """Every item of a paged list call; ``fetch(page_token)`` returns (items, next_page_token)."""
    token = ""
    while True:
        items, token = fetch(token)
        yield from items
        if not token:
            return
