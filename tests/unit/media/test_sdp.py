from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from media.aiortc_hooks import restrict_host_addresses
from media.sdp import SdpError, SdpLimits, check_renegotiation, check_sdp

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


async def test_a_mid_used_twice_is_refused() -> None:
    sdp = (await browser_like_offer()).replace("a=mid:1", "a=mid:0")
    with pytest.raises(SdpError, match=r"^SDP uses a=mid:0 for more than one media section$"):
        check_sdp(sdp)


async def test_a_renegotiation_keeps_every_section_in_place() -> None:
    before = check_sdp(await browser_like_offer())
    check_renegotiation(before, before)
    check_renegotiation(before[:1], before)  # sections may be added
    with pytest.raises(SdpError) as dropped:
        check_renegotiation(before, before[:1])
    assert str(dropped.value) == (
        "renegotiation drops media section 1 (mid 1); keep it and set it inactive, "
        "or build a new connection"
    )
    moved = [replace(before[1], index=0), replace(before[0], index=1)]
    with pytest.raises(SdpError) as swapped:
        check_renegotiation(before, moved)
    assert str(swapped.value) == (
        "renegotiation moves mid 0 from section 0 (audio) to section 1 (audio); "
        "build a new connection for that"
    )


def test_an_answer_may_have_as_many_sections_as_the_offer_and_room_for_them() -> None:
    assert SdpLimits().for_answer(4) == SdpLimits(max_bytes=65536, max_media_sections=4)
    assert SdpLimits().for_answer(64) == SdpLimits(max_bytes=196608, max_media_sections=64)
    sdp = "v=0\r\n" + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:x\r\n" * 31
    with pytest.raises(SdpError, match=r"^SDP has 31 media sections, more than the limit of 30$"):
        check_sdp(sdp, SdpLimits().for_answer(30))
