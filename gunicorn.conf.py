"""Gunicorn as deployed (docker-compose 'web'). Workers scale with cores; threads absorb I/O waits."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One process per core plus one, four threads each: the API is CPU-bound Python, so more processes
# than that only fight over the cores, and the threads overlap the database and Redis round trips.
# On 2 cores (docs/benchmarks.md "Throughput") 3 x 4 served the complaint detail at 218-238
# requests/s against 156-167 for the former 5 x 2 (cpu * 2 + 1), list 116 against 68.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 50000))  # a recycle costs a Django start-up
max_requests_jitter = 5000
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
