"""Ready-made injects a facilitator can fire from the dashboard: (text, immediate risk).

Plain, invented and general enough for any scenario; free text covers the rest.
"""

from __future__ import annotations

SCRIPTED: tuple[tuple[str, bool], ...] = (
    ("The child arrives with a new bruise on the cheek and says 'I fell', looking away.",
     True),
    ("The child tells a member of staff they are scared to go home tonight.", True),
    ("The other professional's manager e-mails: they are on leave for the next two weeks.",
     False),
    ("A parent phones, angry that 'people are talking about my family'.", False),
    ("A colleague says the family has missed two health appointments this month.", False),
    ("Children's services say the case will wait for next week's allocation meeting.", False),
)
