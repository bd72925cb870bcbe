"""The dashboard's view in the URL: read leniently (each ignored value named), written back
with only what differs from the defaults, and read again to the same view."""

from __future__ import annotations

import pytest

from socialhub.state.dashboard_params import Params, parse, to_query


def test_a_full_view_round_trips():
    query = {
        "period": "custom",
        "from": "2026-01-01",
        "to": "2026-02-01",
        "platform": "instagram",
        "account": "12",
        "sort": "likes",
        "order": "asc",
    }
    params, notes = parse(query)
    assert notes == []
    assert params == Params("custom", "instagram", 12, "2026-01-01", "2026-02-01", "likes", False)
    again, _ = parse(dict(p.split("=") for p in to_query(params)[1:].split("&")))
    assert again == params


def test_defaults_and_short_query():
    params, notes = parse({})
    assert (params, notes) == (Params(), [])
    assert to_query(Params()) == "?period=30d"
    assert to_query(Params(period="7d", platform="x")) == "?period=7d&platform=x"


@pytest.mark.parametrize(
    ("query", "field", "expected", "said"),
    [
        ({"period": "3y"}, "period", "30d", "Period “3y”"),
        ({"period": "custom", "from": "2026-01-01"}, "period", "30d", "needs a start and an end"),
        ({"period": "custom", "from": "2026-13-01", "to": "2026-12-01"}, "period", "30d", "needs a start"),
        ({"platform": "myspace"}, "platform", "", "Platform “myspace”"),
        ({"account": "12; drop table"}, "account", 0, "not an account id"),
        ({"account": "-3"}, "account", 0, "not an account id"),
        ({"account": "9" * 30}, "account", 0, "not an account id"),
        ({"sort": "title"}, "sort", "views", "cannot be sorted by “title”"),
    ],
)
def test_invalid_values_are_ignored_with_a_note(query, field, expected, said):
    params, notes = parse({"platform": "youtube", **query} if field != "platform" else query)
    assert getattr(params, field) == expected
    assert len(notes) == 1 and said in notes[0], notes
    if field != "platform":
        assert params.platform == "youtube", "the valid rest of the view still applies"


def test_an_overlong_value_is_cut_in_the_note():
    _, notes = parse({"period": "x" * 5000})
    assert len(notes[0]) < 120


def test_thumbnails_are_quoted_css_images():
    from socialhub.state.dashboard import css_image

    assert css_image("https://cdn.example/a.jpg") == 'url("https://cdn.example/a.jpg")'
    assert css_image("data:image/jpeg;base64,AAAA") == 'url("data:image/jpeg;base64,AAAA")'
    hostile = css_image('https://x.example/a.jpg");background:url("https://evil.example/')
    assert hostile.count('"') == 2 and hostile.startswith('url("') and hostile.endswith('")')
    for bad in (None, "", "javascript:alert(1)", "data:text/html,<b>", "//x.example/a.jpg"):
        assert css_image(bad) == ""
