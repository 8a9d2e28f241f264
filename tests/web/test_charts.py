"""The server-side charts (web/charts.py), without a browser: each bar's length is its
value against the largest, each bar names itself in words, text is escaped."""

from __future__ import annotations

from xml.etree import ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st

from web.charts import LABEL_WIDTH, PLOT_WIDTH, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=8))
def test_each_bar_is_its_value_scaled_to_the_largest(values: list[int]) -> None:
    svg = _parsed(bar_chart("c", "Counts", [Bar(f"b{i}", v, key=f"k{i}")
                                            for i, v in enumerate(values)]))
    rects = svg.findall(f"{SVG}rect")
    assert [int(r.get("data-value", "-1")) for r in rects] == values
    assert [r.get("data-key") for r in rects] == [f"k{i}" for i in range(len(values))]
    top = max([*values, 1])
    for i, (rect, value) in enumerate(zip(rects, values, strict=True)):
        assert float(rect.get("width", "-1")) == round(PLOT_WIDTH * value / top, 1)
        assert float(rect.get("x", "-1")) == LABEL_WIDTH
        assert rect.findtext(f"{SVG}title") == f"b{i}: {value}"


def test_the_chart_is_an_image_named_and_described_and_escapes_text() -> None:
    svg = _parsed(bar_chart("p", "Predikat <so far>", [Bar("A & B", 3, note="max 2"),
                                                         Bar("<i>", 0)]))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "p-t p-d"
    assert svg.findtext(f"{SVG}title") == "Predikat <so far>"
    assert svg.findtext(f"{SVG}desc") == "A & B: 3 (max 2); <i>: 0"
    titles = [r.findtext(f"{SVG}title") for r in svg.findall(f"{SVG}rect")]
    assert titles == ["A & B: 3 (max 2)", "<i>: 0"]


def test_a_marker_is_drawn_at_its_value() -> None:
    svg = _parsed(bar_chart("m", "Curve", [Bar("Baik", 5, marker=10.0)]))
    line = svg.find(f"{SVG}line")
    assert line is not None and float(line.get("x1", "-1")) == LABEL_WIDTH + PLOT_WIDTH



def test_a_flagged_bar_is_marked_by_class_and_said_in_its_title() -> None:
    svg = _parsed(bar_chart("f", "Rules", [Bar("Baik at most 70%", 100, note="Broken",
                                               flagged=True), Bar("Baik more than 50%", 100)]))
    rects = svg.findall(f"{SVG}rect")
    assert [r.get("class") for r in rects] == ["bar flagged", "bar"]
    assert rects[0].findtext(f"{SVG}title") == "Baik at most 70%: 100 (Broken)"
