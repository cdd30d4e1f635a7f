"""Workshops: one scenario played by a group, stored in SQLite, run by a facilitator.

`tui.workshop.service` is the workshop itself — storage, codes, the facilitator's and a
trainee's sides, injects, the cohort debrief, exports — and never imports Textual (an
import-linter contract). Here beside it are its faces: the facilitator's `dashboard` (with
`confirm` and `review`), the trainee's `trainee` screens, and `serve` for browsers.
"""
