"""API throughput under gunicorn as deployed, measured with wrk on loopback (issue 9, item 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ts_bench1m REDIS_URL=redis://127.0.0.1:6379/0 \\
        python scripts/throughput.py --seconds 60 --connections 50

What it does, in order, so that a run can be repeated exactly:
1. creates an API client for every bench project (a fresh key; only its hash is stored) and picks
   the complaint ``manage.py bench`` measures for api_detail (the busiest project's newest
   in-progress complaint) and that project's in-progress list (page 1, 20 rows);
2. starts gunicorn with gunicorn.conf.py and production settings (TOUCHSTONE_ENV=production,
   DEBUG off, persistent database connections, the access log written to a file) on loopback;
   requests carry ``X-Forwarded-Proto: https`` as the TLS proxy in front of it would add;
3. raises the API throttle for the run (API_THROTTLE_RATE, default 6000/min per client, would
   answer 429 after 100 requests a second: the run measures the server, not the throttle);
4. warms up for 5 s, then runs wrk (2 threads, 50 connections, 60 s, --latency) against the
   complaint detail and then the list endpoint, sampling /proc/loadavg every 2 s meanwhile;
5. prints requests/s, p50/p95/p99, errors (connect/read/write/timeout and non-2xx statuses) and
   the load average during each run (the machine is shared), then stops gunicorn and deletes
   the client. ``--json PATH`` keeps the figures.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings")
CLIENT_NAME = "bench-throughput"

LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("FIG requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d max_us=%d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max))
  io.write(string.format("ERR connect=%d read=%d write=%d status=%d timeout=%d\\n",
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def prepare() -> dict:
    import django

    django.setup()
    from complaints.models import Complaint
    from crm_site.bench.seed import bench_projects
    from estates.models import ApiClient
    from estates.services import api_client_create

    projects = bench_projects()
    project = projects.first()
    if project is None:
        sys.exit("No bench projects here: seed with `manage.py bench --seed-only` first.")
    ApiClient.objects.filter(name=CLIENT_NAME).delete()
    _client, key = api_client_create(name=CLIENT_NAME, project_codes=list(projects.values_list("code", flat=True)))
    pk = Complaint.objects.filter(project=project, status="in_progress").order_by("-pk").values_list("pk", flat=True).first()
    return {
        "key": key,
        "detail": f"/api/v1/complaints/{pk}/",
        "list": f"/api/v1/complaints/?project={project.code}&status=in_progress",
        "complaints": Complaint.objects.count() if os.environ.get("COUNT_COMPLAINTS") else None,
    }


def cleanup() -> None:
    from estates.models import ApiClient

    ApiClient.objects.filter(name=CLIENT_NAME).delete()


def start_gunicorn(port: int, throttle_rate: str, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "TOUCHSTONE_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "API_THROTTLE_RATE": throttle_rate,
    }
    env.pop("DEBUG", None)
    log = log_path.open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and config
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "crm_site.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited ({process.returncode}); see {log_path}")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    sys.exit(f"gunicorn did not answer /healthz within 60 s; see {log_path}")


def workers_cpu_seconds(master_pid: int) -> float:
    """User + system CPU of gunicorn's workers (children of the master), from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker recycled by max_requests
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wrk(url: str, key: str, *, seconds: int, connections: int, threads: int, script: Path, master_pid: int) -> dict:
    command = [
        shutil.which("wrk") or "/usr/bin/wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        "-H",
        f"Authorization: Token {key}",
        "-H",
        "X-Forwarded-Proto: https",
        "-H",
        "Accept: application/json",
        url,
    ]
    loads: list[float] = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            loads.append(float(Path("/proc/loadavg").read_text().split()[0]))
            stop.wait(2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu_before = workers_cpu_seconds(master_pid)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    cpu_used = workers_cpu_seconds(master_pid) - cpu_before
    stop.set()
    sampler.join()
    fig = dict(re.findall(r"(\w+)=(\d+)", re.search(r"^FIG .*$", output, re.M).group(0)))
    err = dict(re.findall(r"(\w+)=(\d+)", re.search(r"^ERR .*$", output, re.M).group(0)))
    requests = int(fig["requests"])
    return {
        "url": url,
        "requests": requests,
        "requests_per_s": round(requests / (int(fig["duration_us"]) / 1e6), 1),
        "p50_ms": round(int(fig["p50_us"]) / 1000, 1),
        "p95_ms": round(int(fig["p95_us"]) / 1000, 1),
        "p99_ms": round(int(fig["p99_us"]) / 1000, 1),
        "max_ms": round(int(fig["max_us"]) / 1000, 1),
        "errors": {name: int(value) for name, value in err.items()},
        # Load-independent: the application's own CPU per request (PostgreSQL's and wrk's not included).
        "app_cpu_ms_per_request": round(cpu_used * 1000 / requests, 2) if requests else None,
        "load_average": {"min": min(loads), "max": max(loads), "mean": round(sum(loads) / len(loads), 2)} if loads else None,
        "wrk_output": output,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--throttle-rate", default="1000000/min", help="API_THROTTLE_RATE for the run")
    parser.add_argument("--only", default="detail,list")
    parser.add_argument("--json", dest="json_path")
    args = parser.parse_args()

    target = prepare()
    base = f"http://127.0.0.1:{args.port}"
    workdir = Path(tempfile.mkdtemp(prefix="throughput-"))
    script = workdir / "report.lua"
    script.write_text(LUA)
    log_path = workdir / "gunicorn.log"
    from django.conf import settings

    print(f"database {settings.DATABASES['default']['NAME']}, gunicorn log {log_path}")
    print(f"cpus {os.cpu_count()}, load average before {Path('/proc/loadavg').read_text().strip()}")
    server = start_gunicorn(args.port, args.throttle_rate, log_path)
    results = {}
    try:
        for name in args.only.split(","):
            url = base + target[name]
            wrk(
                url,
                target["key"],
                seconds=5,
                connections=args.connections,
                threads=args.threads,
                script=script,
                master_pid=server.pid,
            )  # warm-up
            result = wrk(
                url,
                target["key"],
                seconds=args.seconds,
                connections=args.connections,
                threads=args.threads,
                script=script,
                master_pid=server.pid,
            )
            results[name] = result
            errors = result["errors"]
            load = result["load_average"]
            print(
                f"{name:<7} {result['requests_per_s']:>8.1f} req/s  p50 {result['p50_ms']:.1f} ms  p95 {result['p95_ms']:.1f} ms  "
                f"p99 {result['p99_ms']:.1f} ms  requests {result['requests']}  errors {sum(errors.values())} {errors}  "
                f"app CPU {result['app_cpu_ms_per_request']} ms/request  "
                f"load avg {load['min']}–{load['max']} (mean {load['mean']})  {target[name]}"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
        cleanup()
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps({k: {**v, "wrk_output": v["wrk_output"]} for k, v in results.items()}, indent=2)
        )


if __name__ == "__main__":
    main()
