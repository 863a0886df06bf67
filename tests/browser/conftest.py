"""Browser tests: a real ``streamlit run app.py`` driven by the system Chromium through Playwright.

Run them (from any directory; the repo root is computed from this file)::

    .venv/bin/python -m pytest tests/browser -q          # only the browser tests
    .venv/bin/python -m pytest -m "not browser" -q       # everything else

What happens:

* ``streamlit_server`` (session) starts ``python -m streamlit run app.py`` on a free localhost port with the file
  watcher off, waits for ``/_stcore/health`` to answer ``ok`` and yields the base URL. The server's output goes to
  ``artifacts/logs/streamlit-server.log`` and is quoted in the failure if the server never becomes healthy. At the end
  the whole process group is terminated (then killed), so no ``streamlit run`` survives the session.
* ``browser`` (session) is Debian's ``/usr/bin/chromium`` launched headless by Playwright (``playwright install``
  cannot download browsers here). A missing Chromium is a FAILURE, not a skip: ``apt-get install -y chromium``
  (``.ci/run`` does it).
* ``page`` (function) is a fresh context (1400x900). Console errors and uncaught page errors are collected in
  ``page.browser_errors``; teardown fails the test if any remain (see ``IGNORED_CONSOLE_ERRORS`` for the only
  exceptions). A test that provokes an error on purpose checks the list and then clears it. When a test fails, a
  screenshot ``FAILED-<test name>.png`` is saved.

Helpers for writing tests (all take the Playwright ``page``; import them with ``from conftest import open_app, ...``)::

    open_app(page, base_url, query="", *, expect_chart=True)  # navigate and wait until the script has finished
    wait_for_rerun(page, since=None, timeout_ms=30_000)         # wait until Streamlit is idle again after an action
    expect_rerun(page)                                          # context manager: the action inside must cause a rerun
    script_runs(page) -> int                                    # finished script runs seen by this page so far
    select_option(page, label, option)                          # sidebar/main selectbox by label, option by text
    chart_index(page, kind) -> int                              # first chart with a trace of that type or meta role
    plotly_summary(page, index) -> dict                         # trace types, surface values, image, axis ranges
    latex_source(page) -> list[str]                             # TeX source of every st.latex on the page
    screenshot(page, name) -> Path                              # full-page PNG under artifacts/screenshots/
    screenshot_app(page, name) -> Path                          # the same, of the whole scrolled app (tall PNG)
    wait_idle(page, timeout_ms=30_000, expect_chart=True)       # Streamlit idle now (after waiting on something else)

Screenshots go to ``artifacts/screenshots/`` at the repo root (git-ignored). Every test here carries the ``browser``
marker (declared in pyproject.toml): modules set ``pytestmark = pytest.mark.browser`` and
``pytest_collection_modifyitems`` below adds it to any test in this folder that forgot.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.protobuf.message import DecodeError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from harness import live_app

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
SERVER_LOG = ARTIFACTS / "logs" / "streamlit-server.log"

DEFAULT_TIMEOUT_MS = 30_000
EXCEPTION = '[data-testid="stException"]'  # Streamlit's box for an uncaught exception in the script
VIEWPORT = {"width": 1400, "height": 900}
CHROMIUM_ARGS = live_app.CHROMIUM_ARGS

# Console errors that are demonstrably not ours, as (message pattern, source URL pattern); both must match. Keep this
# list short and say why for each entry. Page errors (uncaught exceptions) are never ignored.
IGNORED_CONSOLE_ERRORS = [
    # The browser requests /favicon.ico by itself; a failed load of it says nothing about the app.
    (re.compile(r"^Failed to load resource"), re.compile(r"/favicon\.(ico|png)(\?|$)")),
]


def pytest_collection_modifyitems(config, items) -> None:
    """Every test under tests/browser is a ``browser`` test, even if a module forgets its ``pytestmark``."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# Finished script runs are counted from the server's own "script finished" messages on the page's websocket
# (Streamlit's ForwardMsg protobuf), fragment runs included. The page's ``data-test-script-state`` attribute is not
# enough: React may commit a fast rerun's "running" and "notRunning" together, and the page then never shows it.
FINISHED_RUNS = frozenset({ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
                           ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY})


def _count_finished_runs(page) -> None:
    page.finished_runs = 0

    def on_frame(payload) -> None:
        if not isinstance(payload, bytes | bytearray):
            return
        message = ForwardMsg()
        with contextlib.suppress(DecodeError):
            message.ParseFromString(bytes(payload))
            if message.WhichOneof("type") == "script_finished" and message.script_finished in FINISHED_RUNS:
                page.finished_runs += 1

    page.on("websocket", lambda socket: socket.on("framereceived", on_frame))


def _wait_for_runs(page, more_than: int, timeout_ms: float) -> None:
    """Wait (letting Playwright deliver the websocket frames) until more than ``more_than`` runs have finished."""
    deadline = time.monotonic() + timeout_ms / 1000
    while page.finished_runs <= more_than:
        if time.monotonic() > deadline:
            raise PlaywrightTimeout(f"no script run finished within {timeout_ms:.0f} ms ({page.finished_runs} so far)")
        page.wait_for_timeout(20)

_IDLE_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute("data-test-connection-state") !== "CONNECTED") return false;
  if (app.getAttribute("data-test-script-state") !== "notRunning") return false;
  if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) return false;
  return true;
}
"""

_CHARTS_DRAWN_JS = """
() => {
  if (document.querySelector('[data-testid="stException"]')) return true;
  const plots = document.querySelectorAll(".js-plotly-plot");
  return plots.length > 0 && [...plots].every((p) => p.querySelector(".main-svg"))
    && !document.querySelector(".cv-root[data-drawing]");  // every canvas has drawn its newest update
}
"""


# --------------------------------------------------------------------------------------------------- the server


@pytest.fixture(scope="session")
def streamlit_server() -> Iterator[str]:
    """A real ``streamlit run app.py`` on a free port; yields its base URL, e.g. ``http://127.0.0.1:40123``."""
    try:
        with live_app.streamlit_server(SERVER_LOG) as (base_url, _, _):
            yield base_url
    except RuntimeError as error:  # never became healthy: the message quotes the server's output
        pytest.fail(str(error), pytrace=False)


# --------------------------------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium. Fails (never skips) when Chromium is missing."""
    try:
        executable = live_app.chromium_path()
    except RuntimeError as error:  # a missing browser fails the run: a skip would hide it
        pytest.fail(str(error), pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


def _ignored(text: str, url: str) -> bool:
    return any(message.search(text) and source.search(url) for message, source in IGNORED_CONSOLE_ERRORS)


@pytest.fixture
def page(browser, request):
    """A fresh page (own context, 1400x900). ``page.browser_errors`` collects console errors and page errors."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    new_page = context.new_page()
    _count_finished_runs(new_page)
    errors: list[str] = []

    def on_console(message) -> None:
        if message.type != "error":
            return
        location = message.location or {}
        url = location.get("url") or ""
        if not _ignored(message.text, url):
            errors.append(f"console.error: {message.text} (at {url or '?'}:{location.get('lineNumber', '?')})")

    def on_page_error(error) -> None:
        errors.append(f"pageerror: {error}")

    new_page.on("console", on_console)
    new_page.on("pageerror", on_page_error)
    new_page.browser_errors = errors
    try:
        yield new_page
        report = getattr(request.node, "_report_call", None)
        if report is not None and report.failed:
            with contextlib.suppress(Exception):
                screenshot(new_page, f"FAILED-{request.node.name}")
        assert not errors, "the browser reported errors:\n" + "\n".join(errors)
    finally:
        context.close()


# --------------------------------------------------------------------------------------------------- helpers


def script_runs(page) -> int:
    """How many script runs (fragment runs too) have finished for this page (page loads count too)."""
    return page.finished_runs


def _wait_idle(page, timeout_ms: float, *, expect_chart: bool) -> None:
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms)
    if expect_chart:  # an exception box instead of the charts ends the wait too, and is reported below
        page.wait_for_function(_CHARTS_DRAWN_JS, timeout=timeout_ms)
    exceptions = page.locator(EXCEPTION)
    if exceptions.count():
        pytest.fail("the app raised an exception:\n" + exceptions.first.inner_text(), pytrace=False)


def wait_idle(page, timeout_ms: float = DEFAULT_TIMEOUT_MS, *, expect_chart: bool = True) -> None:
    """Wait until Streamlit is idle (and the charts drawn); for use after waiting on a visible effect of an action."""
    _wait_idle(page, timeout_ms, expect_chart=expect_chart)


def wait_for_rerun(
    page, since: int | None = None, timeout_ms: float = DEFAULT_TIMEOUT_MS, *, expect_chart: bool = True
) -> None:
    """Wait until Streamlit has finished rerunning the script and is idle again.

    With ``since`` (a value of ``script_runs(page)`` read before the action), first wait until a run has finished
    after it, which is race-free. Without it, give a rerun up to 2 s to start, then wait for idle. An uncaught app
    exception box fails the wait either way. ``expect_chart`` also waits until every Plotly chart has its SVG.
    """
    if since is not None:
        _wait_for_runs(page, since, timeout_ms)
    else:
        with contextlib.suppress(Exception):
            page.wait_for_function(
                "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
                " return a && a.getAttribute('data-test-script-state') !== 'notRunning'; }",
                timeout=2_000,
            )
    _wait_idle(page, timeout_ms, expect_chart=expect_chart)


@contextlib.contextmanager
def expect_rerun(page, timeout_ms: float = DEFAULT_TIMEOUT_MS, *, expect_chart: bool = True) -> Iterator[None]:
    """``with expect_rerun(page): <interact>`` -- the interaction must make the script run again to completion."""
    since = script_runs(page)
    yield
    wait_for_rerun(page, since=since, timeout_ms=timeout_ms, expect_chart=expect_chart)


def open_app(
    page, base_url: str, query: str = "", *, expect_chart: bool = True, timeout_ms: float = DEFAULT_TIMEOUT_MS
) -> None:
    """Load the app (``query`` like ``"surface=rosenbrock"``, with or without ``?``) and wait for the first run."""
    query = query.lstrip("?")
    page.goto(f"{base_url}/" + (f"?{query}" if query else ""), wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    _wait_for_runs(page, 0, timeout_ms)
    _wait_idle(page, timeout_ms, expect_chart=expect_chart)


def select_option(page, label: str, option: str, *, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
    """Pick ``option`` (visible text) in the selectbox labelled ``label`` and wait for the rerun it causes."""
    box = page.locator('[data-testid="stSelectbox"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )
    listbox = page.locator('[role="listbox"]')
    with expect_rerun(page, timeout_ms):
        # Streamlit's selectbox is a combobox (react-aria in 1.67, baseweb before): clicking it opens the list; the
        # arrow button ("Open") is the fallback for versions where a click only focuses the text field.
        box.locator('[role="combobox"]').first.click()
        with contextlib.suppress(Exception):
            listbox.first.wait_for(state="visible", timeout=2_000)
        if not listbox.first.is_visible():
            box.locator('button[aria-haspopup="listbox"], svg').first.click()
        exact = re.compile(rf"^\s*{re.escape(option)}\s*$")
        page.locator('[role="option"]').filter(has_text=exact).first.click(timeout=timeout_ms)


_CHART_INDEX_JS = """(kind) => [...document.querySelectorAll(".js-plotly-plot")].findIndex(
    (gd) => (gd._fullData || []).some((t) => t.type === kind || (t.meta && t.meta.role === kind)))"""


def chart_index(page, kind: str, timeout_ms: float = 10_000) -> int:
    """Index (document order of ``.js-plotly-plot``) of the first chart with a trace of type or ``meta.role`` ``kind``.

    ``chart_index(page, "contour")`` is the contour view (its colour-bar trace has that role); -1 if none.

    Charts are drawn one after another after a run: wait (up to ``timeout_ms``) for the one asked for.
    """
    try:
        page.wait_for_function(f"(type) => ({_CHART_INDEX_JS})(type) >= 0", arg=kind, timeout=timeout_ms)
    except PlaywrightTimeout:  # report "none" and let the caller's assertion say what was missing
        return -1
    return page.evaluate(_CHART_INDEX_JS, kind)


def plotly_summary(page, index: int = 0) -> dict:
    """What chart ``index`` (document order) draws, read from the Plotly graph div itself.

    ``values_*``: the surface values the chart shows: the first trace's ``z`` where a trace has one (3D view,
    maps); the contour view shows its values as its background image. ``image_*``: its background images (the filled
    contour), with a checksum of their sources.
    """
    return page.evaluate(
        """(index) => {
          const gd = document.querySelectorAll(".js-plotly-plot")[index];
          if (!gd) return null;
          // Plotly 6 ships arrays base64-encoded ({dtype, bdata, shape}) in gd.data; _fullData holds them decoded.
          const data = gd._fullData || [];
          const withZ = data.find((t) => t.z);
          const values = withZ ? withZ.z : null;
          const flat = values ? [...values].flatMap((row) => (row && typeof row === "object" ? [...row] : [row])) : [];
          let checksum = 0, finite = 0;
          flat.forEach((v, i) => { if (Number.isFinite(v)) { finite += 1; checksum += v * ((i % 97) + 1); } });
          const layout = gd._fullLayout || gd.layout || {};
          const sources = (layout.images || []).map((image) => image.source || "");
          let imageChecksum = 0;
          sources.forEach((text) => {
            for (let i = 0; i < text.length; i += 7) imageChecksum += text.charCodeAt(i) * ((i % 89) + 1);
          });
          return {
            traces: data.map((t) => t.type),
            values_size: flat.length,
            values_finite: finite,
            values_checksum: checksum,
            image_count: sources.filter((text) => text.startsWith("data:image/png")).length,
            image_checksum: imageChecksum,
            xrange: layout.xaxis ? [...layout.xaxis.range] : null,
            yrange: layout.yaxis ? [...layout.yaxis.range] : null,
          };
        }""",
        index,
    )


def latex_source(page) -> list[str]:
    """The TeX source of every rendered ``st.latex`` / math block (KaTeX keeps it in an annotation)."""
    return page.locator('annotation[encoding="application/x-tex"]').all_text_contents()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG as ``artifacts/screenshots/<name>.png`` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "screenshot"
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def screenshot_app(page, name: str, *, max_height: int = 6000) -> Path:
    """A screenshot of the whole app, not just the first screen, saved like :func:`screenshot`.

    Streamlit scrolls inside its main container, so a "full page" screenshot shows only the viewport. This grows
    the viewport to the main area's height for the shot (charts keep their width; Plotly redraws on resize) and
    restores it afterwards.
    """
    size = page.viewport_size
    height = page.evaluate(
        "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return main ? main.scrollHeight : document.documentElement.scrollHeight; }"
    )
    page.set_viewport_size({"width": size["width"], "height": int(min(max(height, size["height"]), max_height))})
    try:
        page.wait_for_timeout(600)  # Plotly's resize handler is debounced; WebGL scenes redraw after it
        return screenshot(page, name)
    finally:
        page.set_viewport_size(size)
