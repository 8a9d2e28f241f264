"""domain.spreadsheet: no text cell of an export starts a formula; numbers stay numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.spreadsheet import FORMULA_TRIGGERS, QUOTE, cell, neutralise, row


@given(st.text())
def test_no_text_cell_starts_a_formula_and_the_quote_gives_the_text_back(text: str) -> None:
    out = neutralise(text)
    assert not out.startswith(FORMULA_TRIGGERS)
    assert out == text or (out == QUOTE + text and out[len(QUOTE):] == text)
    assert cell(text) == out


@given(st.sampled_from(FORMULA_TRIGGERS), st.text())
def test_a_text_starting_with_a_trigger_gets_the_quote(trigger: str, rest: str) -> None:
    assert neutralise(trigger + rest) == QUOTE + trigger + rest


@pytest.mark.parametrize(("value", "written"), [
    ('=HYPERLINK("https://x","klik")', '\'=HYPERLINK("https://x","klik")'),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(1+1)", "'@SUM(1+1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("Siti Rahmawati", "Siti Rahmawati"),
    ("'quoted", "'quoted"), ("", ""),
])
def test_the_owasp_examples(value: str, written: str) -> None:
    assert neutralise(value) == written


def test_numbers_are_written_as_numbers_and_text_numbers_as_text() -> None:
    assert row([Decimal("-1.5"), -3, 0, None, "-1.5", "12"]) == [
        "-1.5", "-3", "0", "", "'-1.5", "12"]
    with pytest.raises(TypeError):
        cell(True)  # type: ignore[arg-type]
