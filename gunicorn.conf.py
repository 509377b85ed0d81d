"""gunicorn's settings for the site, read from the directory it starts in
(`gunicorn signup_site.wsgi --bind ...` from the repository root, as the
README's production commands run it). A command-line flag overrides any.
"""

import multiprocessing
import os

# gunicorn's own advice, (2 x cores) + 1 workers: each request also waits on
# the database (a durable commit, a lookup), and while one worker waits
# another has the core. With 2 per 2 cores, a burst of sign-ups and
# confirmations left a core to the outbox worker (niced, but filling each
# wait) and was answered more slowly than it arrived. WEB_CONCURRENCY, as
# gunicorn reads it without this file, sets the number.
workers = int(os.environ.get("WEB_CONCURRENCY", "0")) or multiprocessing.cpu_count() * 2 + 1

# Connections waiting to be accepted: a burst queues here rather than be
# refused (gunicorn's default is 2048; the kernel caps it at somaxconn).
backlog = 4096
