"""gunicorn's settings for the site, read from the directory it starts in
(`gunicorn signup_site.wsgi --bind ...` from the repository root, as the
README's production commands run it). A command-line flag overrides any.
"""

import multiprocessing
import os

# One worker per core, not gunicorn's usual (2 x cores) + 1: the site's
# requests spend their time on the CPU, not waiting. Measured on 2 cores
# (make bench): 4 workers served no more sign-ups a second than 2, and 5
# answered a burst of sign-ups and confirmations at half the rate 2 did (more
# of it timed out in the queue). WEB_CONCURRENCY, as gunicorn reads it
# without this file, sets another number.
workers = int(os.environ.get("WEB_CONCURRENCY", "0")) or multiprocessing.cpu_count()

# Connections waiting to be accepted: a burst queues here rather than be
# refused (gunicorn's default is 2048; the kernel caps it at somaxconn).
backlog = 4096
