"""Text from a link or a text box, made safe for where it is drawn: it is shown as the characters typed.

Streamlit renders alert and caption text as Markdown (links, images, colours, ``:material/...:`` icons,
``$...$`` as LaTeX) and a spreadsheet runs a CSV cell that starts with ``=``. (Plotly's pseudo-HTML is
neutralised where the figures are built: :func:`plots.runs.plotly_literal`.)
"""

from __future__ import annotations

import re
import string

_MARKDOWN_SPECIAL = {ord(c): "\\" + c for c in string.punctuation}
WORD_JOINER = "\u2060"  # invisible, and not part of a URL or an e-mail address
_AUTOLINK_START = re.compile(r"(?i)(https?|ftp|www|mailto)|(?=@)")


def markdown_literal(text: str) -> str:
    """``text`` for a Markdown renderer, shown literally: every ASCII punctuation mark backslash-escaped
    (CommonMark lets any of them be escaped), line breaks as spaces, and an invisible word joiner after
    ``https``, ``www`` and before ``@``: GitHub-flavoured Markdown links bare URLs and e-mail addresses
    even when their punctuation is escaped."""
    text = _AUTOLINK_START.sub(lambda m: (m.group(1) or "") + WORD_JOINER, " ".join(str(text).split()))
    return text.translate(_MARKDOWN_SPECIAL)


def csv_cell(text: str) -> str:
    """A quoted CSV cell that a spreadsheet shows as text (OWASP's advice: prefix formula triggers with ')."""
    text = str(text)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'
