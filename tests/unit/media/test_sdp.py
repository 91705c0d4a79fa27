from __future__ import annotations

from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from media.aiortc_hooks import restrict_host_addresses
from media.sdp import SdpError, SdpLimits, check_sdp

FIXTURES = Path(__file__).parent / "fixtures"


async def browser_like_offer() -> str:
    with restrict_host_addresses(["127.0.0.1"]):
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver("audio", direction="sendonly")
        pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp: str = pc.localDescription.sdp
        await pc.close()
    return sdp


async def test_a_real_offer_passes_and_its_sections_are_described() -> None:
    sections = check_sdp(await browser_like_offer())
    assert [(s.kind, s.mid, s.direction, s.sending) for s in sections] == [
        ("audio", "0", "sendonly", True),
        ("video", "1", "sendonly", True),
    ]
    assert sections[0].codecs == ("audio/opus",)
    assert sections[1].codecs[0] == "video/VP8" and "video/H264" in sections[1].codecs


def test_not_a_string() -> None:
    with pytest.raises(SdpError, match=r"^SDP must be a string$"):
        check_sdp(b"v=0")


def test_garbage() -> None:
    with pytest.raises(SdpError, match=r"^SDP must start with v=0$"):
        check_sdp("GET / HTTP/1.1")


def test_oversized() -> None:
    with pytest.raises(SdpError) as info:
        check_sdp("v=0\r\n" + "a=x\r\n" * 20_000)
    assert str(info.value) == "SDP is 100005 bytes, more than the limit of 65536"


def test_hundreds_of_media_sections() -> None:
    sdp = "v=0\r\n" + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:x\r\n" * 400
    with pytest.raises(SdpError) as info:
        check_sdp(sdp)
    assert str(info.value) == "SDP has 400 media sections, more than the limit of 16"


def test_limits_are_configurable() -> None:
    with pytest.raises(SdpError, match="more than the limit of 10"):
        check_sdp("v=0\r\n" + "a=x\r\n" * 5, SdpLimits(max_bytes=10))


def test_payload_type_out_of_range_does_not_parse() -> None:
    sdp = (FIXTURES / "payload_type_out_of_range.sdp").read_text()
    with pytest.raises(SdpError) as info:
        check_sdp(sdp)
    assert str(info.value) == "SDP does not parse (AssertionError)"


def test_broken_m_line_does_not_parse() -> None:
    sdp = (FIXTURES / "broken_m_line.sdp").read_text()
    with pytest.raises(SdpError) as info:
        check_sdp(sdp)
    assert str(info.value) == "SDP does not parse (AssertionError)"


def test_fingerprint_without_value_does_not_parse() -> None:
    sdp = (FIXTURES / "fingerprint_without_value.sdp").read_text()
    with pytest.raises(SdpError) as info:
        check_sdp(sdp)
    assert str(info.value) == (
        "SDP does not parse (ValueError: not enough values to unpack (expected 2, got 1))"
    )


async def test_no_forwardable_codec() -> None:
    sdp = (await browser_like_offer()).replace("opus/48000/2", "PCMX/8000")
    with pytest.raises(SdpError) as info:
        check_sdp(sdp)
    assert str(info.value) == (
        "media section 0 (audio) offers no allowed codec (opus, VP8, H264); "
        "offered: audio/G722, audio/PCMA, audio/PCMU, audio/PCMX"
    )


def test_missing_mid() -> None:
    sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
    with pytest.raises(SdpError, match=r"^media section 0 \(audio\) has no a=mid$"):
        check_sdp(sdp)


def test_unsupported_media_kind() -> None:
    sdp = "v=0\r\nm=text 9 RTP/AVP 98\r\na=mid:0\r\n"
    with pytest.raises(SdpError, match=r"^media section 0 has unsupported kind 'text'$"):
        check_sdp(sdp)
