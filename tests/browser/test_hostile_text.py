"""Text from a link is drawn as text in the browser: no live link, no injected style, no image fetched.

A hostile link puts HTML and Markdown into a run label (legends, the summary), an unknown surface and an
unknown optimizer (notices) and a formula (its error). The page must show the characters, and nothing that
the text asks for: no anchor to the attacker's host, no element 200 px tall from an injected style, and no
request to that host at all (an image in Markdown would leak the visitor's address).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import pytest
from conftest import open_app, screenshot

pytestmark = pytest.mark.browser

EVIL = "x.test"
LABELS = (f'<a href="https://{EVIL}/a">link</a>', '<span style="font-size:200px">BIG</span>')  # 60 characters at most
NOTICES = (f"![p](https://{EVIL}/p.png)", f"[a](https://{EVIL}/b)", f"https://{EVIL}/c", "**Session expired**")
FORMULA = "x^2 + __import__"  # reported by name: Markdown once ate the underscores ("import")


def hostile_links() -> dict[str, str]:
    return {
        "labels": "&".join(f"run={quote(f'sgd:lr=0.1;label={label}')}" for label in LABELS),
        "notices": f"surface={quote(NOTICES[0])}&" + "&".join(f"run={quote(text)}" for text in NOTICES[1:]),
        "formula": f"surface=custom&s.formula={quote(FORMULA)}",
    }


@pytest.mark.parametrize("name", list(hostile_links()))
def test_hostile_text_is_drawn_as_text(page, streamlit_server, name):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    open_app(page, streamlit_server, hostile_links()[name])
    found = page.evaluate(
        """(evil) => ({
            anchors: [...document.querySelectorAll('a[href]')].map(a => a.href)
                .filter(h => new URL(h, location.href).hostname.endsWith(evil)),
            images: [...document.querySelectorAll('img[src], image[href]')]
                .map(i => i.getAttribute('src') || i.getAttribute('href'))
                .filter(s => new URL(s, location.href).hostname.endsWith(evil)),
            huge: [...document.querySelectorAll('body *')]
                .filter(e => parseFloat(getComputedStyle(e).fontSize) >= 100).map(e => e.tagName),
            text: document.body.innerText,
            legend: [...document.querySelectorAll('.legendtext')].map(t => t.textContent),
        })""",
        EVIL,
    )
    screenshot(page, f"hostile-{name}", full_page=False)
    assert found["anchors"] == [] and found["images"] == [] and found["huge"] == [], found
    # (a blob: or data: URL has no host: the canvas's own module is loaded from one)
    assert not [url for url in requested if (urlsplit(url).hostname or "").endswith(EVIL)]
    shown = found["text"].replace("\u2060", "")
    if name == "labels":  # the labels' characters, as typed, in the legends
        assert set(LABELS) <= set(found["legend"]), found["legend"]
    elif name == "notices":
        optimizer_names = [text.split(":")[0] for text in NOTICES[1:]]  # a run's optimizer name ends at ":"
        assert all(text in shown for text in [NOTICES[0], *optimizer_names]), shown[:600]
    else:
        assert "__import__" in shown
