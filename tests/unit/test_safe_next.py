"""Redirect targets after sign-in stay on this site."""

import pytest

from portal.web import safe_next


@pytest.mark.parametrize("target", ["/my", "/desk/secretary?x=1", "/c/ymn/report?building=3"])
def test_paths_on_this_site_are_kept(target):
    assert safe_next(target, "/home") == target


@pytest.mark.parametrize(
    "target",
    [
        "https://elsewhere.example/",
        "//elsewhere.example/x",
        "/\\elsewhere.example",
        "javascript:alert(1)",
        "http:/elsewhere.example",
        "my",
        "",
        None,
        "/ok\r\nSet-Cookie: x=1",
    ],
)
def test_anything_else_falls_back(target):
    assert safe_next(target, "/home") == "/home"
