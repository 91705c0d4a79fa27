"""ICE host candidates: restricting the addresses aioice gathers on (private API, see
aiortc_hooks)."""

from __future__ import annotations

from collections.abc import Sequence

import aioice.ice

import media._aiortc_pin  # noqa: F401  (the version check, before touching aioice internals)

_original_get_host_addresses = aioice.ice.get_host_addresses
_host_restrictions: dict[int, list[str]] = {}


def _restricted_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    chosen = list(_host_restrictions.values())[-1] if _host_restrictions else []
    return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]


class HostAddressRestriction:
    """An active restriction of aioice's host candidates; `release()` (or leaving the `with`
    block) ends it. While any restriction is active, the most recent one applies."""

    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = list(addresses)
        self._active = True
        _host_restrictions[id(self)] = self.addresses
        aioice.ice.get_host_addresses = _restricted_host_addresses

    def release(self) -> None:
        if not self._active:
            return
        self._active = False
        _host_restrictions.pop(id(self), None)
        if not _host_restrictions:
            aioice.ice.get_host_addresses = _original_get_host_addresses

    def __enter__(self) -> HostAddressRestriction:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def restrict_host_addresses(addresses: Sequence[str]) -> HostAddressRestriction:
    """Make aioice gather host candidates on exactly `addresses` (e.g. ["127.0.0.1"]).

    aioice never gathers loopback addresses on its own, so tests on one machine need this. It
    patches `aioice.ice.get_host_addresses` process-wide (every peer connection gathering while
    it is active is affected) until released; nothing happens at import time."""
    return HostAddressRestriction(addresses)
