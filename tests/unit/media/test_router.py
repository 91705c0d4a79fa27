from __future__ import annotations

import pytest

from media.router import Route, RouteError, Router, TrackInfo


def room(*participants: str) -> Router:
    router = Router()
    for pid in participants:
        router.add_participant(pid)
    return router


def camera(track_id: str, publisher: str, mime: str = "video/VP8") -> TrackInfo:
    return TrackInfo(track_id, publisher, "video", "camera", mime)


def test_auto_subscribe_routes_existing_and_future_tracks() -> None:
    router = room("t", "s")
    router.add_track(camera("c1", "t"))
    assert router.allow("t", "s", auto_subscribe=True) == [Route("s", "c1", "c1")]
    mic = TrackInfo("m1", "t", "audio", "microphone", "audio/opus")
    assert router.add_track(mic) == [Route("s", "m1", "m1")]
    assert router.slots("s") == {"c1": "c1", "m1": "m1"}


def test_subscribing_without_permission_is_refused() -> None:
    router = room("t", "s")
    router.add_track(camera("c1", "t"))
    with pytest.raises(RouteError, match="'s' may not receive tracks of 't'"):
        router.subscribe("s", "c1")


def test_explicit_subscription_needs_no_auto() -> None:
    router = room("t", "s")
    assert router.allow("t", "s", auto_subscribe=False) == []
    router.add_track(camera("c1", "t"))
    assert router.slots("s") == {}
    assert router.subscribe("s", "c1") == Route("s", "c1", "c1")


def test_a_named_slot_switches_source_but_not_codec() -> None:
    router = room("a", "b", "v")
    router.allow("a", "v", auto_subscribe=False)
    router.allow("b", "v", auto_subscribe=False)
    router.add_track(camera("ca", "a"))
    router.add_track(camera("cb", "b"))
    router.add_track(camera("hb", "b", mime="video/H264"))
    router.subscribe("v", "ca", slot="speaker")
    assert router.subscribe("v", "cb", slot="speaker") == Route("v", "speaker", "cb")
    assert router.routes_of_track("ca") == []
    with pytest.raises(RouteError, match="slot 'speaker' carries video/VP8, cannot switch"):
        router.subscribe("v", "hb", slot="speaker")


def test_removing_a_track_removes_its_slots() -> None:
    router = room("t", "s1", "s2")
    router.allow("t", "s1", True)
    router.allow("t", "s2", True)
    router.add_track(camera("c1", "t"))
    assert sorted(router.remove_track("c1"), key=lambda r: r.subscriber_id) == [
        Route("s1", "c1", None),
        Route("s2", "c1", None),
    ]
    with pytest.raises(RouteError, match="unknown track 'c1'"):
        router.track("c1")


def test_revoke_drops_the_publishers_slots() -> None:
    router = room("t", "u", "s")
    router.allow("t", "s", True)
    router.allow("u", "s", True)
    router.add_track(camera("ct", "t"))
    router.add_track(camera("cu", "u"))
    assert router.revoke("t", "s") == [Route("s", "ct", None)]
    assert router.slots("s") == {"cu": "cu"}


def test_removing_a_participant_forgets_everything_about_it() -> None:
    router = room("t", "s")
    router.allow("t", "s", True)
    router.add_track(camera("c1", "t"))
    assert router.remove_participant("t") == [Route("s", "c1", None)]
    assert router.tracks() == []
    assert not router.is_allowed("t", "s")
    with pytest.raises(RouteError, match="unknown participant 't'"):
        router.allow("t", "s", True)


def test_misuse_is_refused_with_a_clear_error() -> None:
    router = room("t")
    with pytest.raises(RouteError, match="participant 't' already joined"):
        router.add_participant("t")
    with pytest.raises(RouteError, match="a participant cannot subscribe to itself"):
        router.allow("t", "t", True)
    with pytest.raises(RouteError, match="'t' has no slot 'x'"):
        router.unsubscribe("t", "x")


def test_tracks_past_the_cap_are_held_back_oldest_first_and_fill_freed_slots() -> None:
    router = Router(max_slots=2)
    for pid in ("a", "b", "v"):
        router.add_participant(pid)
    router.allow("a", "v", True)
    router.allow("b", "v", True)
    routes = [r for t in ("a1", "a2", "b1", "b2") for r in router.add_track(camera(t, t[0]))]
    assert routes == [Route("v", "a1", "a1"), Route("v", "a2", "a2")]
    assert router.held_back("v") == ["b1", "b2"]
    with pytest.raises(RouteError, match=r"^'v' receives at most 2 tracks$"):
        router.subscribe("v", "b1", slot="extra")
    assert router.remove_track("a1") == [Route("v", "a1", None), Route("v", "b1", "b1")]
    assert router.held_back("v") == ["b2"]
    assert router.revoke("b", "v") == [
        Route("v", "b1", None),
    ]
    assert router.held_back("v") == []
    assert router.slots("v") == {"a2": "a2"}


def test_an_allowance_can_be_narrowed_to_labels() -> None:
    router = room("m", "s")
    mic = TrackInfo("m1", "m", "audio", "microphone", "audio/opus")
    router.add_track(camera("c1", "m"))
    router.add_track(mic)
    assert router.allow("m", "s", True, frozenset({"microphone"})) == [Route("s", "m1", "m1")]
    with pytest.raises(RouteError, match=r"^'s' may not receive the camera of 'm'$"):
        router.subscribe("s", "c1")
    # widening and narrowing again replace the rule
    assert router.allow("m", "s", True) == [Route("s", "c1", "c1")]
    assert router.allow("m", "s", True, frozenset({"microphone"})) == [Route("s", "c1", None)]
    assert router.add_track(camera("c2", "m")) == []
