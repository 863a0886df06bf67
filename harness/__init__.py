"""Tooling shared by the browser tests and the benchmark: a live app server and the system browser."""
