"""Recording control: who starts and stops the recorder, and what happens when it ends.

The recorder is a client of the room (``recordings.recorder``) started as a child process with a
subscribe-only room token; it joins over the same WebSocket as everybody, so the room shows it
(``recording: true``) and the SFU treats it like any subscriber. When it exits, for whatever
reason (stopped, room closed, disk full, killed), its finished segments are processed by another
child process (``server.recording_processing``). Midterms and exams are recorded from the moment
their room opens until it closes. Retention is ``server.recording_retention``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recordings.layout import EXIT_DISK_FULL, EXIT_JOIN_FAILED, RecordingPaths, read_json
from server import recording_jobs as jobs
from server.auth import Viewer
from server.db.models import Recording, RecordingStatus, ScheduledSession, SessionKind, utcnow
from server.errors import Conflict, Forbidden
from server.recording_processing import RecordingProcessor
from server.recording_retention import sweep
from server.recording_rows import RecordingRows
from server.registry import RoomRegistry
from server.schedule import ScheduleService
from server.settings import Settings
from server.tokens import EXAM_KINDS, Grant, RoomTokens, grants_for

log = logging.getLogger(__name__)
OPERATOR_ALERT_SECONDS = 300  # at most one disk-full log line per this many seconds
SWEEP_SECONDS = 3600


@dataclass
class _Run:
    recording_id: int
    session_id: int
    process: asyncio.subprocess.Process
    stopping: bool = False
    room_closed: bool = False  # why it was stopped, when its own report says only "stopped"
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class RecordingService:
    """Starts, stops and watches recorders and processing; one per process."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        tokens: RoomTokens,
        rooms: RoomRegistry,
        schedule: ScheduleService,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._tokens = tokens
        self._rooms = rooms
        self._schedule = schedule
        self._now = now
        self.root = settings.recordings_dir
        self._runs: dict[int, _Run] = {}  # by session id
        # Recordings this process started: never a crash's leftover, whatever their status.
        self._started_here: set[int] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rows = RecordingRows(sessions, self.root)
        self._processor = RecordingProcessor(sessions, self._rows, now)
        self._address: tuple[str, int] | None = None
        self._last_alert = -1e9
        self.recorder_args: list[str] = []  # extra recorder arguments (tests: --impair ...)
        rooms.observers.append(self)

    # --- the room tells us ---

    def records_automatically(self, session: ScheduledSession) -> bool:
        """Midterms and exams are recorded from the first to the last second."""
        return self._settings.recording_auto and SessionKind(session.kind) in EXAM_KINDS

    def room_opened(self, session_id: int, kind: SessionKind) -> None:
        if self._settings.recording_auto and kind in EXAM_KINDS:
            self._spawn(self._start(session_id, None, automatic=True))

    def room_closed(self, session_id: int) -> None:
        # The room dismisses the recorder itself; this is the safety net.
        run = self._runs.get(session_id)
        if run is not None:
            run.room_closed = True
            self._spawn(self._stop_run(run))

    def learn_address(self, server: Any) -> None:
        """The address this server answered on: where the recorder connects back to."""
        if self._address is None and isinstance(server, tuple | list) and len(server) == 2:
            host = str(server[0])
            self._address = ("127.0.0.1" if host in ("0.0.0.0", "::", "") else host, int(server[1]))

    # --- the tutor asks ---

    async def start(self, viewer: Viewer, session_id: int) -> Recording:
        session = await self._check_record_grant(viewer, session_id)
        if self._rooms.get(session.id) is None:
            raise Conflict("the session's room is not open: join it first")
        if session.id in self._runs:
            raise Conflict("this session is already being recorded")
        return await self._start(session.id, viewer.person_id, automatic=False)

    async def stop(self, viewer: Viewer, session_id: int) -> Recording:
        session = await self._check_record_grant(viewer, session_id)
        run = self._runs.get(session.id)
        if run is None:
            raise Conflict("this session is not being recorded")
        await self._stop_run(run)
        return await self.find(run.recording_id)

    async def check_may_control(self, viewer: Viewer, session_id: int) -> None:
        await self._check_record_grant(viewer, session_id)

    async def _check_record_grant(self, viewer: Viewer, session_id: int) -> ScheduledSession:
        session = await self._schedule.get(viewer, session_id)
        is_tutor = session.tutor_id == viewer.person_id
        if Grant.RECORD not in grants_for(viewer.role, SessionKind(session.kind), is_tutor):
            raise Forbidden("only the tutor (record grant) starts and stops recording")
        return session

    async def retry(self, recording_id: int) -> Recording:
        recording = await self.find(recording_id)
        if recording.status != RecordingStatus.FAILED:
            raise Conflict(f"recording {recording_id} is {recording.status}, not failed")
        await self._update(recording_id, status=RecordingStatus.PROCESSING.value, failure=None)
        self._spawn(self._process(recording_id))
        return await self.find(recording_id)

    # --- the recorder ---

    async def _start(self, session_id: int, person_id: int | None, automatic: bool) -> Recording:
        if session_id in self._runs:
            raise Conflict("this session is already being recorded")
        async with self._sessions() as db:
            recording = Recording(
                session_id=session_id, automatic=automatic, started_by=person_id, progress=0
            )
            db.add(recording)
            await db.flush()
            self._started_here.add(recording.id)  # before the commit shows it to _recover
            recording.folder = f"session-{session_id}/rec-{recording.id}"
            await db.commit()
        paths = self.paths(recording)
        token, _expires = self._tokens.issue_for_recorder(session_id)
        hosts = ["127.0.0.1"] if self._settings.ice.loopback_only else []
        process = await jobs.spawn_recorder(
            self._signal_url(session_id),
            token,
            paths.capture,
            self.root,
            self._settings.recording_max_bytes,
            self._settings.recording_segment_seconds,
            hosts,
            self.recorder_args,
        )
        run = _Run(recording.id, session_id, process)
        self._runs[session_id] = run
        self._spawn(self._supervise(run))
        log.info(
            "recording %s of session %s started (pid %s)", recording.id, session_id, process.pid
        )
        return recording

    def _signal_url(self, session_id: int) -> str:
        base = self._settings.recorder_signal_url
        if base is None:
            host, port = self._address or (self._settings.host, self._settings.port)
            base = f"ws://{host}:{port}"
        return f"{base.rstrip('/')}/rooms/{session_id}/signal"

    async def _stop_run(self, run: _Run) -> None:
        run.stopping = True
        await jobs.stop_process(run.process)
        with contextlib.suppress(TimeoutError):
            await self._wait_finished(run)

    async def _wait_finished(self, run: _Run) -> None:
        async with asyncio.timeout(10):
            await run.finished.wait()

    async def _supervise(self, run: _Run) -> None:
        code = await run.process.wait()
        recording = await self.find(run.recording_id)
        paths = self.paths(recording)
        stopped = read_json(paths.stopped) or {}
        reason = _reason(code, stopped)
        if reason == "stopped" and run.room_closed:
            reason = "room_closed"  # our SIGTERM came before the room dismissed the recorder
        log.info("recorder of recording %s ended: %s (exit %s)", run.recording_id, reason, code)
        await self._update(
            run.recording_id,
            status=RecordingStatus.PROCESSING.value,
            stopped_at=self._now(),
            stop_reason=reason,
            phase="archive",
        )
        self._runs.pop(run.session_id, None)
        run.finished.set()
        if reason == "disk_full":
            self._disk_full(run)
        if code == EXIT_JOIN_FAILED and not any(paths.capture.glob("*.webm*")):
            await self._update(
                run.recording_id,
                status=RecordingStatus.FAILED.value,
                failure="the recorder could not join the room",
            )
            return
        await self._process(run.recording_id)

    def _disk_full(self, run: _Run) -> None:
        room = self._rooms.get(run.session_id)
        if room is not None:
            room.tell_moderators(
                {
                    "type": "recording",
                    "recording": False,
                    "reason": "disk_full",
                    "message": "Recording stopped: the recordings disk is full. "
                    "The session goes on; what was recorded so far is kept.",
                }
            )
        now = time.monotonic()
        if now - self._last_alert >= OPERATOR_ALERT_SECONDS:
            self._last_alert = now
            log.error(
                "recordings disk full under %s (RECORDING_MAX_BYTES=%s): recorder of session %s "
                "stopped; free space or raise the cap",
                self.root,
                self._settings.recording_max_bytes,
                run.session_id,
            )

    # --- processing (server.recording_processing) ---

    async def _process(self, recording_id: int) -> None:
        await self._processor.process(recording_id)

    # --- retention and lifecycle ---

    def start_background(self) -> None:
        self._spawn(self._sweep_forever())
        self._spawn(self._recover())

    async def _recover(self) -> None:
        """After a restart: what was being recorded or processed is processed (again)."""
        async with self._sessions() as db:
            rows = list(
                await db.scalars(
                    select(Recording).where(
                        Recording.status.in_(
                            [RecordingStatus.RECORDING.value, RecordingStatus.PROCESSING.value]
                        )
                    )
                )
            )
        for recording in rows:
            # Not by session: a session recorded again since the restart (an exam whose room
            # opened at once) has a new row, and its old one still needs recovering.
            if recording.id in self._started_here:
                continue
            if recording.status == RecordingStatus.RECORDING:
                await self._update(
                    recording.id,
                    status=RecordingStatus.PROCESSING.value,
                    stopped_at=self._now(),
                    stop_reason="server_restarted",
                    phase="archive",
                )
            self._spawn(self._process(recording.id))

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("recording retention sweep failed")
            await asyncio.sleep(SWEEP_SECONDS)

    async def sweep(self) -> int:
        """Delete recordings older than RECORDING_RETENTION_DAYS (0: keep forever)."""
        days = self._settings.recording_retention_days
        return await sweep(self._sessions, self._rows, days, self._now())

    async def close(self) -> None:
        for run in list(self._runs.values()):
            run.stopping = True
            with contextlib.suppress(Exception):
                await jobs.stop_process(run.process, grace=5)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- helpers ---

    def paths(self, recording: Recording) -> RecordingPaths:
        return self._rows.paths(recording)

    def recording_now(self, session_id: int) -> bool:
        return session_id in self._runs

    async def find(self, recording_id: int) -> Recording:
        return await self._rows.find(recording_id)

    async def _update(self, recording_id: int, **values: Any) -> None:
        await self._rows.update(recording_id, **values)

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("recording task failed", exc_info=task.exception())


def _reason(code: int, stopped: dict[str, Any]) -> str:
    if code == EXIT_DISK_FULL:
        return "disk_full"
    if code == EXIT_JOIN_FAILED:
        return "join_failed"
    if code < 0:
        return "recorder_killed"
    if code != 0:
        return "recorder_crashed"
    return str(stopped.get("reason") or "stopped")[:32]
