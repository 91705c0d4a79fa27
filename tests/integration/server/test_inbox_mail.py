"""E-mail notifications of inbox messages, against a local SMTP sink on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from server.db.engine import make_sessionmaker
from server.db.models import Person
from server.services import Services
from tests.conftest import ClientFactory
from tests.integration.server.inbox_kit import send
from tests.integration.server.lookup import group_id
from tests.integration.server.signal_kit import free_port
from tests.support import wait_until

pytestmark = pytest.mark.usefixtures("demo")


class Sink:
    """Keeps every message the SMTP server accepts."""

    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.mails.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def extra_env(smtp_sink: tuple[Sink, int]) -> dict[str, str]:
    smtp_sink[0].mails.clear()
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_sink[1]), "SMTP_FROM": "s@sabaq.kz"}


async def test_recipients_with_an_address_get_a_notification_without_the_text(
    client_for: ClientFactory, services: Services, smtp_sink: tuple[Sink, int]
) -> None:
    sink = smtp_sink[0]
    async with make_sessionmaker(services.engine)() as db:
        await db.execute(
            update(Person).where(Person.login == "student1.1").values(email="aliya@example.kz")
        )
        await db.execute(
            update(Person).where(Person.login == "tutor.akhmetova").values(email="t@example.kz")
        )
        await db.commit()
    tutor = await client_for("tutor.akhmetova")
    group = await group_id(services, "ИС-21-1")
    response = await send(tutor, to_group_id=group, text="Secret exam questions")
    assert response.status_code == 201
    await wait_until(lambda: len(sink.mails) == 1)
    recipients, mail = sink.mails[0]
    assert recipients == ["aliya@example.kz"]
    assert mail["From"] == "s@sabaq.kz" and "Айгуль Ахметова" in str(mail["Subject"])
    assert "Secret" not in mail.get_content()
    assert services.offline.mailer.sent == 1
