"""Jinja2 environment for debriefs and forms (HTML autoescaped; Markdown cells escaped)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates"


def md_cell(value: Any) -> str:
    """A value safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value if value is not None else "").split()).replace("|", "\\|")


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                   default_for_string=False),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["cell"] = md_cell
    env.filters["when"] = lambda d: f"{d:%a %d %b %Y %H:%M}" if d else "—"
    env.filters["clock"] = lambda d: f"{d:%a %d %b %H:%M}" if d else "—"
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
