"""Make the README's pictures from the running app: ``python -m harness.screenshots``.

Each picture is one scene loaded through its link (so it is reproducible), captured from the
page's main area in headless Chromium and written to ``docs/`` as a small PNG.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

from ui.config import AppConfig, RunConfig, to_query
from ui.lessons import LESSONS

from .live_app import CHROMIUM_ARGS, REPO_ROOT, chromium_path, streamlit_server

DOCS = REPO_ROOT / "docs"
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


def capture(page, base_url: str, name: str, config: AppConfig, selector: str) -> Path:
    page.goto(base_url + "/" + _query(config))
    page.wait_for_selector(selector if "DataFrame" in selector else ".js-plotly-plot .main-svg", timeout=120_000)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=120_000
    )
    page.wait_for_function(  # every chart of the canvas drawn (the 3D view and the curves come after the contour)
        """() => [...document.querySelectorAll('.cv-chart')].every((c) => c.querySelector('.main-svg'))""",
        timeout=120_000,
    )
    time.sleep(2)  # let Plotly finish its transitions
    inner = {} if "DataFrame" in selector else {"has": page.locator(".js-plotly-plot")}  # the canvas's charts
    target = page.locator(f'[data-testid="stMain"] {selector}', **inner).first
    path = DOCS / f"{name}.png"
    target.screenshot(path=str(path))
    return path


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    with streamlit_server(LOG) as (base_url, _, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        for name, (config, selector) in SCENES.items():
            path = capture(page, base_url, name, config, selector)
            print(f"{path.relative_to(REPO_ROOT)}: {path.stat().st_size / 1e3:.0f} kB")
        browser.close()


if __name__ == "__main__":
    main()
