"""E-mail notifications of new inbox messages, sent by a background task off the request path.

Off unless ``SMTP_HOST`` is set. The mail says who wrote, not what: message text stays in Sabaq
(regulation §6.2, protection of learning data). A full queue or a failing SMTP server loses
notifications, never messages: they are stored and pushed regardless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import Person

log = logging.getLogger(__name__)
QUEUE_LIMIT = 10_000
SMTP_TIMEOUT_SECONDS = 10


class Mailer:
    """Queues notifications and sends them over SMTP in a worker thread."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        host: str | None,
        port: int,
        sender: str,
    ) -> None:
        self._sessions = sessions
        self._host = host
        self._port = port
        self._sender = sender
        self._queue: asyncio.Queue[tuple[list[int], dict[str, Any]]] = asyncio.Queue(QUEUE_LIMIT)
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    @property
    def enabled(self) -> bool:
        return self._host is not None

    def notify(self, recipient_ids: Sequence[int], message: dict[str, Any]) -> None:
        if not self.enabled or not recipient_ids:
            return
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        try:
            self._queue.put_nowait((list(recipient_ids), message))
        except asyncio.QueueFull:
            log.warning("mail queue full; notification of message %s dropped", message["id"])

    async def _run(self) -> None:
        while True:
            recipients, message = await self._queue.get()
            try:
                mails = await self._compose(recipients, message)
                if mails:
                    await asyncio.to_thread(self._deliver, mails)
                    self.sent += len(mails)
            except Exception:
                log.exception("could not send notification of message %s", message["id"])

    async def _compose(self, recipients: list[int], message: dict[str, Any]) -> list[EmailMessage]:
        async with self._sessions() as db:
            rows = await db.execute(
                select(Person.email, Person.full_name).where(
                    Person.id.in_(recipients), Person.active.is_(True), Person.email.is_not(None)
                )
            )
            found = rows.all()
        return [self._mail(email, name, message) for email, name in found if email]

    def _mail(self, email: str, name: str, message: dict[str, Any]) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = email
        mail["Subject"] = f"Sabaq: new message from {message['sender_name']}"
        mail.set_content(
            f"{name},\n\n{message['sender_name']} wrote to you in Sabaq "
            f"(conversation {message['conversation_id']}).\n"
            "Sign in to read and answer.\n"
        )
        return mail

    def _deliver(self, mails: list[EmailMessage]) -> None:
        assert self._host is not None
        with smtplib.SMTP(self._host, self._port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            for mail in mails:
                smtp.send_message(mail)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
