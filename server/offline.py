"""The services of off-line mode, built together and handed to the composition root as one."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.assignments import AssignmentService
from server.bus import Bus
from server.inbox import InboxService
from server.mailer import Mailer
from server.settings import Settings
from server.submissions import SubmissionService
from server.uploads import UploadService

log = logging.getLogger(__name__)


@dataclass
class OfflineServices:
    """Uploads, inbox, assignments, submissions and the mail notifier."""

    uploads: UploadService
    inbox: InboxService
    assignments: AssignmentService
    submissions: SubmissionService
    mailer: Mailer

    async def start(self) -> None:
        """At start-up: sweep what a crash or an abandoned upload left behind. A failing sweep
        (the database is not up yet) is logged and does not stop the node from starting."""
        try:
            await self.uploads.clean_leftovers()
        except Exception as exc:
            log.warning("upload leftovers not cleaned at start-up: %s", exc)

    async def close(self) -> None:
        await self.mailer.close()


def build_offline(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], bus: Bus
) -> OfflineServices:
    mailer = Mailer(sessions, settings.smtp_host, settings.smtp_port, settings.smtp_from)
    return OfflineServices(
        uploads=UploadService(
            sessions,
            settings.data_dir / "uploads",
            timedelta(hours=settings.upload_expiry_hours),
        ),
        inbox=InboxService(sessions, bus, mailer),
        assignments=AssignmentService(sessions, settings.max_upload_bytes),
        submissions=SubmissionService(sessions),
        mailer=mailer,
    )
