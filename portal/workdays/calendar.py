"""Counting working days, in pure Python: the calendar is handed in, nothing is looked up."""

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkingCalendar:
    """The years whose schedule is known, the days off among them that would otherwise be
    worked (holidays) and the weekend days worked (调休)."""

    known: frozenset[int]
    off: frozenset[date] = frozenset()
    on: frozenset[date] = frozenset()

    def knows(self, day: date) -> bool:
        return day.year in self.known

    def is_working(self, day: date) -> bool:
        """Whether the day is worked. A day of a year nobody knows counts: calendar days."""
        if not self.knows(day) or day in self.on:
            return True
        return day not in self.off and day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> tuple[date, bool]:
        """The day `days` working days after `start` (which itself does not count), and
        whether a day of an unknown year was counted as a calendar day on the way."""
        day, left, guessed = start, days, False
        while left > 0:
            day += timedelta(days=1)
            guessed = guessed or not self.knows(day)
            if self.is_working(day):
                left -= 1
        return day, guessed
