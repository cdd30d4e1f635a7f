"""Workshops: one scenario played by a group, stored in SQLite, run by a facilitator.

The storage and workshop logic here (`store`, `codes`, `participant`, `facilitator`,
`cohort`) never imports Textual, so every rule of a workshop can be tested without a
terminal; `dashboard` and `trainee` are the Textual faces of it.
"""
