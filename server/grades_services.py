"""The grades services, built together and handed to the composition root as one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.grades import GradeService
from server.grades_reports import GradebookService
from server.grades_sheets import SheetService
from server.settings import Settings


@dataclass
class GradeServices:
    """Grading, the gradebook and reports, and grade sheets."""

    grades: GradeService
    book: GradebookService
    sheets: SheetService


def build_grades(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> GradeServices:
    return GradeServices(
        grades=GradeService(sessions, settings.default_timezone),
        book=GradebookService(sessions, settings.default_timezone),
        sheets=SheetService(sessions, settings.default_timezone),
    )
