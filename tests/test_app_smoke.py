"""The app runs under Streamlit's AppTest for every registered surface."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from surfaces import SURFACES

APP = Path(__file__).resolve().parents[1] / "app.py"


@pytest.mark.parametrize("name", list(SURFACES))
def test_app_runs_for_every_surface(name):
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.sidebar.selectbox[0].set_value(name).run()
    assert not at.exception
    assert not at.error
