"""The workshop service: everything a workshop is, without a screen.

Storage (`store`), join codes and keys (`codes`), the facilitator's side (`facilitator`),
a trainee's side (`participant`), rebuilding sessions from the log (`sessions`), ready-made
injects (`injects`), the cohort debrief (`cohort`), per-trainee records (`export`) and the
errors they raise (`errors`). It never imports Textual, textual-serve or any screen, app or
command module — an import-linter contract in pyproject.toml holds it to that — so every
rule of a workshop is testable, and usable, without a terminal. The Textual faces
(`tui.workshop.dashboard`, `trainee`, `confirm`, `review`), the browser server
(`tui.workshop.serve`) and the command line (`tui.commands.workshop`) sit on top of it.
"""
