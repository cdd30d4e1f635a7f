"""App-wide guards for what a person or a file puts on screen and for keys that arrive
faster than the screen can follow."""

from __future__ import annotations

import contextlib
from typing import Any

from textual.command import CommandPalette


class SafeCommandPalette(CommandPalette):
    """Textual's command palette, minus one crash: page up/down before the result list has
    been laid out raises KeyError inside `OptionList._move_page` (Textual 8.2)."""

    def _action_command_list(self, action: str) -> None:
        with contextlib.suppress(KeyError, IndexError):  # no lines yet: nothing to page
            super()._action_command_list(action)


class SafeApp:
    """App mixin: toasts are plain text, and the command palette is the guarded one.

    Toasts carry names, inject texts and exception messages; `Widget.notify` passes
    ``markup=True`` by default, so the app forces it off here, in one place.
    """

    def notify(self, message: str, *, title: str = "", severity: Any = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        super().notify(str(message), title=str(title), severity=severity,  # type: ignore[misc]
                       timeout=timeout, markup=False)

    def action_command_palette(self) -> None:
        app: Any = self
        if app.use_command_palette and not CommandPalette.is_open(app):
            app.push_screen(SafeCommandPalette(id="--command-palette"))
