"""The least a Streamlit page with a slider and a Plotly chart can do: the floor under the app's timings.

``bench.browser`` times this page exactly as it times the app (page load, "Steps" slider key presses), so the
report can say how much of the app's time is Streamlit's and the browser's own round trip.
"""

import plotly.graph_objects as go
import streamlit as st

steps = st.sidebar.slider("Steps", 0, 500, 100)
curve = go.Scatter(x=list(range(steps + 1)), y=[0.99**t for t in range(steps + 1)])
st.plotly_chart(go.Figure(curve), theme=None, key="chart")
