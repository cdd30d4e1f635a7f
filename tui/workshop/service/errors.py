"""Workshop errors: each says what was wrong and what to do, for the person at the keyboard."""

from __future__ import annotations

from sim.session import SessionError


class WorkshopError(Exception):
    """A workshop request refused; the message is written for the user."""


class UnknownCode(WorkshopError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no workshop has the join code '{code}'; check it with your "
                         "facilitator (codes are 6 letters and digits, e.g. K7Q2MX)")


class WrongKey(WorkshopError):
    def __init__(self, code: str) -> None:
        super().__init__(f"that is not the facilitator key of workshop {code}; "
                         "only the key printed by `escalate workshop new` opens it")


class AccessDenied(WorkshopError):
    """A credential that does not open these results."""


class NameTaken(WorkshopError):
    def __init__(self, name: str, code: str) -> None:
        super().__init__(f"'{name}' has already joined workshop {code}; to rejoin as "
                         f"{name}, give the rejoin key shown when you first joined "
                         "(or join under another name)")


class BadName(WorkshopError):
    """A display name that cannot be used."""


class NotActing(SessionError, WorkshopError):
    """The workshop's clock is not running (not started, paused or ended).

    A `SessionError`, so the trainee app shows it like any other refused action."""


class NotSaved(SessionError, WorkshopError):
    """The action could not be stored; it was not taken (or the session must be reopened)."""


class Busy(SessionError, WorkshopError):
    """The database stayed locked: the action was not taken and can simply be tried again.

    A `SessionError`, so the trainee app shows it like any other refused action."""


class TooManyAttempts(WorkshopError):
    """Too many wrong rejoin keys for one name: wait before trying again."""

    def __init__(self, name: str, minutes: int) -> None:
        super().__init__(f"too many wrong rejoin keys for '{name}'; wait {minutes} minutes "
                         "and try again, or ask your facilitator")
