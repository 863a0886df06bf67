"""Text from links and text boxes stays text: in Markdown, in Plotly figures and in CSV files."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from plots.runs import plotly_literal
from ui.text import WORD_JOINER, csv_cell, markdown_literal


@given(st.text(max_size=60))
def test_markdown_literal_escapes_every_ascii_punctuation_mark(text):
    out = markdown_literal(text)
    assert "\n" not in out
    i = 0
    while i < len(out):  # every punctuation mark is the second half of a backslash pair
        if out[i] == "\\":
            assert i + 1 < len(out) and out[i + 1] in string.punctuation
            i += 2
            continue
        assert out[i] not in string.punctuation, (text, out)
        i += 1


def test_markdown_literal_keeps_what_was_typed():
    assert markdown_literal("unknown surface '__import__'") == "unknown surface \\'\\_\\_import\\_\\_\\'"
    assert markdown_literal("a\nb") == "a b"


def test_markdown_literal_breaks_bare_urls_and_addresses_invisibly():
    out = markdown_literal("see https://evil.test, www.evil.test and me@evil.test")
    for url in ("https:", "www.", "me@"):
        assert url not in out.replace("\\", "")
    assert out.replace(WORD_JOINER, "").replace("\\", "") == "see https://evil.test, www.evil.test and me@evil.test"


def test_plotly_literal_neutralises_tags():
    assert plotly_literal('<a href="https://x">x</a>') == '&lt;a href="https://x"&gt;x&lt;/a&gt;'
    assert plotly_literal("a & b") == "a &amp; b"


@given(st.text(max_size=30))
def test_csv_cells_never_start_a_formula_and_stay_one_quoted_cell(text):
    cell = csv_cell(text)
    assert cell.startswith('"') and cell.endswith('"')
    inner = cell[1:-1]
    assert inner[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert inner.replace('""', "").count('"') == 0
