# The app as one container: one Streamlit process, i.e. one replica (about one core's worth of sessions).
# compose.yaml runs several behind nginx. Build: docker build -t optimizer-visualizer .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 app
WORKDIR /app

# The pinned runtime packages first, so that a code change does not reinstall them (deploy/lock.py writes the file).
COPY deploy/requirements.lock ./
RUN pip install -r requirements.lock

COPY --chown=app:app . .

# The production settings, the same as deploy/serve.py passes on its command line (tests/test_serve.py compares
# them); environment variables override .streamlit/config.toml.
ENV STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_SERVER_RUN_ON_SAVE=false \
    STREAMLIT_CLIENT_SHOW_ERROR_DETAILS=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501

USER app
EXPOSE 8501
# The slim image has no curl: ask Streamlit's health endpoint with Python's own urllib.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2).read() != b'ok')"]
CMD ["streamlit", "run", "app.py"]
