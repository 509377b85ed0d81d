"""The site's settings with one page more, for `make bench` only: `/bench/floor`,
a view that does nothing, the floor every page is measured against through
the same middleware (bench/test_page_floor.py). Production never loads this."""

import os
from pathlib import Path

from signup_site.settings import *  # noqa: F403 (the site's settings, unchanged)

ROOT_URLCONF = "bench.urls"
# collectstatic's output for the bench server, out of the working tree.
STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
