"""gunicorn.conf.py, the web server's settings in production."""

import multiprocessing
import runpy
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_one_worker_per_core_unless_web_concurrency_says(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert runpy.run_path(str(CONFIG))["workers"] == multiprocessing.cpu_count()
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(CONFIG))["workers"] == 3


def test_a_burst_queues_rather_than_is_refused() -> None:
    assert runpy.run_path(str(CONFIG))["backlog"] > 2048  # gunicorn's default
