"""Text from a person, a file or an exception is shown as text, never as Textual/Rich
markup: a trainee called ``[@click=app.clock('end')]Sam[/]`` neither acts nor crashes."""

from __future__ import annotations

import pytest
from rich.console import Console
from textual.widgets import DataTable

from tui.pilot_driver import settle
from tui.workshop.dashboard import Dashboard
from tui.workshop.service.facilitator import Facilitator, create
from tui.workshop.service.participant import WorkshopParticipant
from tui.workshop.service.store import DB_ENV, Store
from tui.workshop.trainee import JoinedNote

HOSTILE = ["[@click=app.clock('end')]Sam[/]", "[/]", "[bold]x", "[link=file:///etc]y"]


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ESCALATE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(DB_ENV, str(tmp_path / "w.sqlite3"))


async def _until(pilot, condition) -> None:
    for _ in range(60):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition never became true")


async def test_markup_in_trainee_names_is_shown_not_run_on_the_dashboard():
    store = Store()
    made = create(store, "talk-first-school-dsl", "[b]Room[/b] [/]", seed=4)
    facilitator = Facilitator(store, made.code, made.key)
    for name in HOSTILE:
        WorkshopParticipant.join(Store(store.path), made.code, name)
    app = Dashboard(Facilitator(store, made.code, made.key), interval=0.1)
    async with app.run_test(size=(140, 36)) as pilot:
        table = app.query_one("#trainees", DataTable)
        await _until(pilot, lambda: table.row_count == len(HOSTILE))
        shown = {str(table.get_row(key)[0]) for key in table.rows}
        assert shown == {f"Trainee {i}: {name}" for i, name in enumerate(HOSTILE, 1)}
        for row in range(len(HOSTILE)):  # clicking the cells runs nothing
            await pilot.click("#trainees", offset=(3, row + 1))
            await settle(pilot)
        assert app.title == "[b]Room[/b] [/]"
        app.notify("[/] [@click=app.quit]x[/]")  # a toast of raw text
        await settle(pilot)
        assert app.is_running
    assert facilitator.state == "lobby"  # no markup action ended the workshop


async def test_the_joined_note_shows_a_hostile_name_as_text():
    from textual.app import App

    store = Store()
    made = create(store, "talk-first-school-dsl", "w", seed=4)
    participant = WorkshopParticipant.join(store, made.code, "[/][@click=app.quit]x")

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(JoinedNote(participant, False))

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        text = " ".join(str(w.render()) for w in app.screen.query("Label"))
        assert "[/][@click=app.quit]x" in text
        await pilot.click("Label")
        assert app.is_running


def test_ladder_and_cli_tables_print_policy_text_verbatim(tmp_path):
    from scenarios.loader import get_policy
    from tui.ladder_table import ladder_table

    policy = get_policy("liverpool-lscb")
    hostile = policy.model_copy(update={"title": "[/] [red]T"})
    console = Console(record=True, width=200)
    console.print(ladder_table(hostile))
    assert "[/] [red]T" in console.export_text()
