"""Make the README's pictures from the running app: ``python -m harness.screenshots``; and the lessons' pictures,
what a 1024x768 projector shows for the default page and each lesson: ``python -m harness.screenshots lessons``
(or ``... lessons NAME ...`` for some of them).

Each picture is one scene loaded through its link (so it is reproducible), captured in headless Chromium and
written to ``docs/`` (the lessons' to ``docs/lessons/<name>.png``) as a small PNG.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

from ui.config import AppConfig, RunConfig, to_query
from ui.lessons import LESSONS

from .live_app import CHROMIUM_ARGS, REPO_ROOT, chromium_path, streamlit_server

DOCS = REPO_ROOT / "docs"
LESSON_DOCS = DOCS / "lessons"
PROJECTOR = {"width": 1024, "height": 768}  # a lecture hall's projector
LOG = REPO_ROOT / "artifacts" / "logs" / "screenshots-server.log"
HIMMELBLAU_RUNS = (RunConfig("sgd", (("lr", 0.01),)), RunConfig("adam", (("lr", 0.05),)), RunConfig("newton"))

SCENES = {  # file name: (config, selector of the part to capture)
    "compare": (AppConfig(step=100), ".cv-main"),  # the canvas's contour and run rows, at the last step
    "basins": (AppConfig(surface="himmelblau", runs=HIMMELBLAU_RUNS, view="basins", steps=100),
               ".cv-grid"),
    "sweep": (AppConfig(runs=(RunConfig("momentum"),), view="sweep", steps=200), ".cv-grid"),
    "ensemble": (replace(LESSONS["sharp_flat"].config, view="ensemble"), '[data-testid="stHorizontalBlock"]'),
    "tune": (AppConfig(view="tune", steps=200), '[data-testid="stDataFrame"]'),
}


def _query(config: AppConfig) -> str:
    return "?" + urlencode(to_query(config), doseq=True)


def wait_drawn(page, selector: str = ".js-plotly-plot .main-svg") -> None:
    """Until the script has finished and every chart of the canvas is drawn."""
    page.wait_for_selector(selector, timeout=120_000)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=120_000
    )
    page.wait_for_function(  # every chart of the canvas drawn (the 3D view and the curves come after the contour)
        """() => [...document.querySelectorAll('.cv-chart')].every((c) => c.querySelector('.main-svg'))""",
        timeout=120_000,
    )
    time.sleep(2)  # let Plotly finish its transitions


def capture(page, base_url: str, name: str, config: AppConfig, selector: str) -> Path:
    page.goto(base_url + "/" + _query(config))
    wait_drawn(page, selector if "DataFrame" in selector else ".js-plotly-plot .main-svg")
    inner = {} if "DataFrame" in selector else {"has": page.locator(".js-plotly-plot")}  # the canvas's charts
    target = page.locator(f'[data-testid="stMain"] {selector}', **inner).first
    path = DOCS / f"{name}.png"
    target.screenshot(path=str(path))
    return path


def lesson_links() -> dict[str, str]:
    """File name: link, for the default page and every lesson (``?lesson=NAME``, as the sidebar's button opens it)."""
    return {"default": "", **{name: "?" + urlencode({"lesson": name}) for name in LESSONS}}


def capture_screen(page, base_url: str, name: str, link: str) -> Path:
    """The whole window as the class sees it once the teacher has scrolled to the picture (the canvas at the top;
    the lesson's text above it), written as a palette PNG (a few tens of kB)."""
    from PIL import Image

    page.goto(base_url + "/" + link)
    wait_drawn(page)
    page.evaluate("document.querySelector('.cv-root').scrollIntoView({block: 'start'})")
    time.sleep(1)  # the canvas refits its charts to the window on scrolling
    path = LESSON_DOCS / f"{name}.png"
    page.screenshot(path=str(path))
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


def main(which: str = "readme", *names: str) -> None:
    """``which``: "readme" (the README's pictures) or "lessons" (``names``: only those; default all)."""
    DOCS.mkdir(exist_ok=True)
    LESSON_DOCS.mkdir(exist_ok=True)
    with streamlit_server(LOG) as (base_url, _, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        if which == "lessons":
            page = browser.new_page(viewport=PROJECTOR)
            paths = [capture_screen(page, base_url, name, link) for name, link in lesson_links().items()
                     if name in names or not names]
        else:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            paths = [capture(page, base_url, name, config, selector) for name, (config, selector) in SCENES.items()]
        for path in paths:
            print(f"{path.relative_to(REPO_ROOT)}: {path.stat().st_size / 1e3:.0f} kB")
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
