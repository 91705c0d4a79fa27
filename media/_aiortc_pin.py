"""The aiortc version the private hooks are written for, checked on import, and what they share.

Every `media/_aiortc_*.py` module imports this one first, so none of them can be used with
another aiortc: importing `media.aiortc_hooks` (or any part of it) raises `AiortcVersionError`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiortc
from aiortc.rtp import AnyRtcpPacket, RtpPacket

PINNED_AIORTC_VERSION = "1.16.0"
PINNED_PYLIBSRTP_VERSION = "1.0.0"  # `_protector` only; other versions use the public API


class AiortcVersionError(RuntimeError):
    """The installed aiortc is not the version whose private API these hooks were written for."""


class HookError(RuntimeError):
    """A hook could not be installed (wrong state or aiortc internals changed)."""


if aiortc.__version__ != PINNED_AIORTC_VERSION:
    raise AiortcVersionError(
        f"media.aiortc_hooks is pinned to aiortc {PINNED_AIORTC_VERSION}, "
        f"found {aiortc.__version__}: re-check every hook in media/aiortc_hooks.py "
        "(run tests/unit/media/test_aiortc_hooks.py) before changing the pin"
    )

# The hooks' log lines keep the facade's name, wherever the hook lives.
logger = logging.getLogger("media.aiortc_hooks")

HOOKED_MARK = "_sabaq_hooked"

RtpHandler = Callable[[RtpPacket], Awaitable[None]]
RtcpHandler = Callable[[AnyRtcpPacket], Awaitable[None]]


async def guarded(awaitable: Awaitable[None], what: str) -> None:
    """Bad bytes or a bug in one callback must never kill aiortc's receive loop."""
    try:
        await awaitable
    except Exception:
        logger.exception("media hook %s failed", what)
