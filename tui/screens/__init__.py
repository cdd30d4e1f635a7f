"""The trainer's screens: picker, briefing, case, record form, policy, debrief, dialogs."""
