"""The services one process runs, built once by the composition root and handed to handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from media.room import MediaConfig
from server.attendance import AttendanceService
from server.auth import AuthService
from server.bus import Bus
from server.catalog import CatalogService
from server.chat import ChatService
from server.db.engine import make_engine, make_sessionmaker
from server.directory import DirectoryService
from server.grades_services import GradeServices, build_grades
from server.offline import OfflineServices, build_offline
from server.passwords import PasswordService
from server.presence_recorder import PresenceRecorder
from server.proctoring import ProctoringService
from server.proctoring_evidence import ExamEvidence, build_evidence
from server.proctoring_identity import IdentityAtCheckin, build_identity
from server.proctoring_retention import ProctoringRetention, proctoring_retention
from server.proctoring_verdicts import VerdictService
from server.ratelimit import FailureLimiter
from server.recording import RecordingService
from server.recording_access import RecordingAccess
from server.registry import RoomRegistry
from server.room_chat import ChatLimits
from server.room_events import RoomEvents
from server.schedule import ScheduleService
from server.settings import IceSettings, Settings
from server.tokens import RoomTokens


@dataclass
class Services:
    """Everything handlers call; one instance per application."""

    settings: Settings
    engine: AsyncEngine
    bus: Bus
    passwords: PasswordService
    auth: AuthService
    directory: DirectoryService
    catalog: CatalogService
    schedule: ScheduleService
    room_tokens: RoomTokens
    rooms: RoomRegistry
    attendance: AttendanceService
    chat: ChatService
    offline: OfflineServices
    recordings: RecordingService = field(init=False)
    recording_access: RecordingAccess = field(init=False)
    room_events: RoomEvents = field(init=False)
    grades: GradeServices = field(init=False)
    proctoring: ProctoringService = field(init=False)
    proctoring_evidence: ExamEvidence = field(init=False)
    proctoring_verdicts: VerdictService = field(init=False)
    proctoring_retention: ProctoringRetention = field(init=False)

    async def close(self) -> None:
        await self.recordings.close()
        await self.proctoring_retention.close()
        await self.offline.close()
        await self.rooms.close()
        await self.proctoring_evidence.close()
        await self.room_events.flush()
        await self.bus.close()
        await self.engine.dispose()


def build_services(settings: Settings, bus: Bus) -> Services:
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    passwords = PasswordService(
        settings.password_hash_concurrency,
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
    )
    limiter = FailureLimiter(settings.login_max_failures, settings.login_window_seconds)
    schedule = ScheduleService(sessions)
    chat = ChatService(sessions, bus)
    attendance = AttendanceService(
        sessions,
        settings.attendance_grace_seconds,
        heartbeat_seconds=settings.heartbeat_seconds,
    )
    services = Services(
        settings=settings,
        engine=engine,
        bus=bus,
        passwords=passwords,
        auth=AuthService(sessions, passwords, limiter, timedelta(hours=settings.session_ttl_hours)),
        directory=DirectoryService(sessions, passwords),
        catalog=CatalogService(sessions),
        schedule=schedule,
        attendance=attendance,
        room_tokens=RoomTokens(settings.secret_key, settings.room_token_ttl_seconds),
        rooms=RoomRegistry(
            media_config(settings.ice),
            settings.room_resume_seconds,
            ice_servers_for_clients(settings.ice),
            schedule.mark_ended,
            chat,
            bus,
            ChatLimits(settings.chat_rate_per_second, settings.chat_burst),
            PresenceRecorder(attendance.record),
            settings.heartbeat_seconds,
        ),
        chat=chat,
        offline=build_offline(settings, sessions, bus),
    )
    services.recordings = RecordingService(
        sessions, settings, services.room_tokens, services.rooms, schedule
    )
    services.recording_access = RecordingAccess(sessions, settings.recordings_dir, chat)
    services.room_events = RoomEvents(sessions)
    services.rooms.on_hand = services.room_events.hand
    services.grades = build_grades(settings, sessions)
    faces, sources, identity = build_identity(settings, sessions)
    services.proctoring = ProctoringService(sessions, settings.data_dir, services.rooms, sources)
    if identity is not None:  # the check-in photo is described once it awaits the proctor
        at_checkin = IdentityAtCheckin(identity, services.proctoring.record_server_flags)
        services.proctoring.state_listeners.append(at_checkin.state_changed)
    services.proctoring_evidence = build_evidence(settings, services.proctoring, faces)
    services.proctoring_verdicts = VerdictService(sessions, settings.default_timezone)
    services.proctoring_retention = proctoring_retention(settings, engine)
    services.rooms.exam_observer = services.proctoring_evidence
    if settings.proctoring_required:
        services.rooms.publish_gate = services.proctoring.publish_refusal
    return services


def media_config(ice: IceSettings) -> MediaConfig:
    return MediaConfig(host_addresses=("127.0.0.1",) if ice.loopback_only else None)


def ice_servers_for_clients(ice: IceSettings) -> list[dict[str, Any]]:
    """RTCPeerConnection's ``iceServers`` for browsers; empty unless TURN/STUN is configured."""
    servers: list[dict[str, Any]] = []
    for server in ice.turn_servers:
        entry: dict[str, Any] = {"urls": [server.url]}
        if server.username:
            entry.update(username=server.username, credential=server.credential)
        servers.append(entry)
    return servers
