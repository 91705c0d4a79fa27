"""Every reach into aiortc's (and aioice's) private API, pinned to one aiortc version.

The SFU forwards RTP below aiortc's track API. That needs a handful of private attributes and
methods; they all live behind this module so that an aiortc upgrade breaks one place, loudly,
and the tests in tests/unit/media/test_aiortc_hooks.py say which hook broke. The hooks are
written in private sibling modules, one concern each, which nothing but this module imports:

- `_aiortc_pin.py`: the version pin (checked on import) and what the hooks share;
- `_aiortc_receive.py`: publisher side, receivers and transceivers;
- `_aiortc_send.py`: subscriber side, senders and the placeholder track;
- `_aiortc_transport.py`: raw SRTP send on the selected ICE pair, SRTP-dropping sinks;
- `_aiortc_ice.py`: host-candidate restriction.

Hooks are installed per object (instance attributes), never by patching aiortc classes, so
client-side peer connections in the same process keep aiortc's normal behaviour.
"""

from __future__ import annotations

from aiortc import sdp as _sdp
from aiortc.rtcdtlstransport import State as _DtlsState  # noqa: F401  (for the hook tests)
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    HeaderExtensions,
    HeaderExtensionsMap,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
)

from media._aiortc_ice import HostAddressRestriction, restrict_host_addresses
from media._aiortc_ice import _original_get_host_addresses as _original_get_host_addresses
from media._aiortc_pin import (
    HOOKED_MARK,
    PINNED_AIORTC_VERSION,
    PINNED_PYLIBSRTP_VERSION,
    AiortcVersionError,
    HookError,
    RtcpHandler,
    RtpHandler,
)
from media._aiortc_receive import (
    RECEIVER_CODECS,
    RECEIVER_DECODER_QUEUE,
    RECEIVER_DECODER_THREAD,
    RECEIVER_RTX_SSRC,
    RECEIVER_STARTED,
    NullDecoderQueue,
    decoder_queue,
    decoder_thread_alive,
    has_common_codec,
    hook_receiver,
    negotiated_codecs,
    receiver_codecs,
    send_pli,
    unwrap_if_rtx,
)
from media._aiortc_send import (
    SENDER_ENCODER,
    PlaceholderTrack,
    SenderParameters,
    hook_sender,
    sender_has_encoder,
    sender_ssrc,
    set_sender_stream_id,
)
from media._aiortc_transport import drop_srtp_datagrams, raw_sender

__all__ = [
    "HOOKED_MARK",
    "PINNED_AIORTC_VERSION",
    "PINNED_PYLIBSRTP_VERSION",
    "RECEIVER_CODECS",
    "RECEIVER_DECODER_QUEUE",
    "RECEIVER_DECODER_THREAD",
    "RECEIVER_RTX_SSRC",
    "RECEIVER_STARTED",
    "RTCP_PSFB_APP",
    "RTCP_PSFB_FIR",
    "RTCP_PSFB_PLI",
    "RTCP_RTPFB_NACK",
    "SENDER_ENCODER",
    "AiortcVersionError",
    "AnyRtcpPacket",
    "HeaderExtensions",
    "HeaderExtensionsMap",
    "HookError",
    "HostAddressRestriction",
    "NullDecoderQueue",
    "PlaceholderTrack",
    "RtcpHandler",
    "RtcpPsfbPacket",
    "RtcpReceiverInfo",
    "RtcpRrPacket",
    "RtcpRtpfbPacket",
    "RtcpSenderInfo",
    "RtcpSrPacket",
    "RtpHandler",
    "RtpPacket",
    "SdpMediaDescription",
    "SenderParameters",
    "decoder_queue",
    "decoder_thread_alive",
    "drop_srtp_datagrams",
    "has_common_codec",
    "hook_receiver",
    "hook_sender",
    "negotiated_codecs",
    "pack_remb_fci",
    "parse_rtcp",
    "parse_sdp",
    "raw_sender",
    "receiver_codecs",
    "restrict_host_addresses",
    "send_pli",
    "sender_has_encoder",
    "sender_ssrc",
    "set_sender_stream_id",
    "unpack_remb_fci",
    "unwrap_if_rtx",
]


# --- SDP and RTCP parsing (aiortc.sdp is not part of aiortc's public API) -----------------------


SdpMediaDescription = _sdp.MediaDescription


def parse_rtcp(data: bytes) -> list[AnyRtcpPacket]:
    return RtcpPacket.parse(data)


def parse_sdp(text: str) -> _sdp.SessionDescription:
    return _sdp.SessionDescription.parse(text)
