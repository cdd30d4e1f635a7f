"""How a rule's quote is compared with its source document.

Source documents are transcribed with Markdown emphasis and heading markers (``*``, ``**``,
``#``). They are formatting, not words of the policy: a quote never contains them, and a
quote is checked against the source with them removed and all whitespace collapsed. A quote
that is not whole sentences marks what it leaves out with "…"; each part between the marks
must occur in the source, in order.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
_MARKUP = re.compile(r"^[ \t]*#+[ \t]*|\*+", re.MULTILINE)


def plain(text: str) -> str:
    """The text without Markdown emphasis and heading markers; line breaks are kept."""
    return _MARKUP.sub("", text)


def collapse(text: str) -> str:
    return " ".join(text.split())


def normalise(text: str) -> str:
    """Plain text on one line: what quotes are compared with."""
    return collapse(plain(text))


def quote_parts(quote: str) -> list[str]:
    """The verbatim parts of a quote, split at its "…" marks."""
    return [part for part in (collapse(p) for p in quote.split(ELLIPSIS)) if part]


def missing_part(quote: str, text: str) -> str | None:
    """The first part of ``quote`` not found in ``text`` (already `normalise`d) after the
    part before it, or None when the whole quote is there."""
    position = 0
    for part in quote_parts(quote):
        found = text.find(part, position)
        if found < 0:
            return part
        position = found + len(part)
    return None


def markup_in(quote: str) -> str | None:
    """The Markdown marker a quote wrongly contains, if any."""
    if "*" in quote:
        return "*"
    if re.search(r"(^|\s)#", quote):
        return "#"
    return None
