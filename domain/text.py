"""Text people type: what the log can store and every reader can show.

A NUL character cannot be stored in PostgreSQL text or jsonb, a lone surrogate
cannot be encoded as UTF-8, and other control characters (backspace, escape,
form feed...) hide or rewrite what a reader sees. Free text and identifiers
refuse them where they enter (a command, a roster row), with the rule named,
so that nothing accepted can fail later on its way to the log. Tab, line feed
and carriage return are ordinary text.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

CONTROL_CHARACTER_RULE = "control_character"

_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_REFUSED_IN_A_LINE = re.compile("[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]")


def first_refused_character(value: str, *, line_breaks: bool = True) -> int | None:
    """The index of the first character text may not hold, or None. ``line_breaks``:
    line feed and carriage return are allowed (free text); without, only tab is (a
    spreadsheet cell: a name, a code, a NIP)."""
    found = (_REFUSED if line_breaks else _REFUSED_IN_A_LINE).search(value)
    return found.start() if found else None


def strip_refused(value: str, *, line_breaks: bool = True) -> str:
    """``value`` without the characters :func:`first_refused_character` finds (to show a
    refused value back to a person)."""
    return (_REFUSED if line_breaks else _REFUSED_IN_A_LINE).sub("", value)


def check_text(value: str) -> str:
    """``value`` if it holds no control character or lone surrogate; else a
    validation error of type ``control_character``."""
    index = first_refused_character(value)
    if index is not None:
        raise PydanticCustomError(
            CONTROL_CHARACTER_RULE,
            "control characters (such as NUL, U+{code}) are not allowed, found at "
            "position {index}",
            {"code": f"{ord(value[index]):04X}", "index": index})
    return value


Clean = AfterValidator(check_text)

Text = Annotated[str, Field(min_length=1, max_length=4000), Clean]
"""Free text: a reason, a description, a narrative."""
ShortText = Annotated[str, Field(min_length=1, max_length=500), Clean]
"""A short label: a unit of measure, a perspective."""
AGENCY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
"""The one grammar of an agency's id (``pemkot-bandung``): lower-case letters, digits and
hyphens, at most 63; it names streams and workflows (``cycle-<agency>-<year>``), so the
roster, the cycles and every door check it the same way."""

Key = Annotated[str, Field(min_length=1, max_length=128), Clean]
"""An opaque key (employee, unit, agency) as given by a roster."""
