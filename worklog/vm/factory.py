"""Where the hypervisors are and how to reach them: URIs, the factory, open connections.

The use cases (worklog.vm.actions, worklog.vm.listing) receive a `Factory`: the CLI
hands them `open_hypervisor` (libvirt), the unit tests an in-memory host
(worklog.vm.fake). Importing this module does not import libvirt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from worklog.config import Config
from worklog.vm.base import ConnectError, Hypervisor, HypervisorUnavailable

Factory = Callable[[str | None], Hypervisor]
"""Opens a connection to a URI (None: the backend's default). Raises ConnectError when it
cannot be opened, HypervisorUnavailable when the backend is missing."""


def open_hypervisor(uri: str | None = None) -> Hypervisor:
    """Connect with libvirt (uri None: libvirt's default). Raises HypervisorUnavailable
    when libvirt-python is missing, ConnectError when the connection fails."""
    try:
        from worklog.vm import libvirt_backend  # noqa: PLC0415  (lazy: libvirt is optional)
    except ImportError as exc:
        if exc.name not in {"libvirt", "libvirtmod"}:
            raise
        raise HypervisorUnavailable(str(exc)) from exc
    return libvirt_backend.connect(uri)


class Connections:
    """One connection per URI, opened on first use; a failed one is kept as its error
    (HypervisorUnavailable propagates: no URI can work then)."""

    def __init__(self, factory: Factory) -> None:
        self._factory = factory
        self._by_uri: dict[str | None, Hypervisor | ConnectError] = {}

    def get(self, uri: str | None) -> Hypervisor | ConnectError:
        if uri not in self._by_uri:
            try:
                self._by_uri[uri] = self._factory(uri)
            except ConnectError as exc:
                self._by_uri[uri] = exc
        return self._by_uri[uri]

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *_exc: object) -> None:
        for conn in self._by_uri.values():
            if not isinstance(conn, ConnectError):
                conn.close()


def resolve_uri(
    asked: str | None, env: Mapping[str, str], config: Config
) -> tuple[str | None, str]:
    """The libvirt URI and what chose it: the URI asked for (``asked``), else
    `$LIBVIRT_DEFAULT_URI`, the config file's `libvirt_uri`, else None (libvirt's own
    default)."""
    if asked:
        return asked, "asked for"
    if env.get("LIBVIRT_DEFAULT_URI"):
        return env["LIBVIRT_DEFAULT_URI"], "$LIBVIRT_DEFAULT_URI"
    if config.libvirt_uri:
        return config.libvirt_uri, str(config.path or "the config file")
    return None, "libvirt's default"


_TARGET_RE = re.compile(r"(?P<domain>.+?)@(?P<uri>[A-Za-z][A-Za-z0-9+.-]*://.*)", re.DOTALL)


def split_target(arg: str, default_uri: str | None) -> tuple[str, str | None]:
    """`DOMAIN` or `DOMAIN@URI` (e.g. `web01@qemu+ssh://root@host/system`) -> (domain, uri)."""
    match = _TARGET_RE.fullmatch(arg)
    if match is None:
        return arg, default_uri
    return match["domain"], match["uri"]
