"""A bounded load run against a running server (issue 10, item 18). Not a CI test: a measured figure.

    DATABASE_URL=... REDIS_URL=... python scripts/loadrun.py --base http://127.0.0.1:8000 --users 50 --seconds 120

Half the users are staff in browsers (log in once, then open the inbox, the risk register, a
complaint page, the home page); half are a sales system pushing complaints through the API and
reading the list back. Prints requests, 5xx count, p50/p95/p99 per kind and overall.
"""

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm_site.settings")


PASSWORD = "load-run-Passw0rd!"  # noqa: S105 -- the load run's own throwaway accounts


def setup_actors(browsers: int):
    """One account per browser user: the login throttle keys on (username, address), and every user
    here shares the loopback address. With one shared account, 25 logins at the same instant had
    more than LOGIN_THROTTLE_FAILURES password checks of one pair in flight, and the throttle
    (rightly: it counts an attempt before checking it) refused the rest as locked (docs/trust.md)."""
    import django

    django.setup()
    from estates.models import LoginThrottle, Project, Role, User
    from estates.services import api_client_create

    project = Project.objects.order_by("pk").first()
    usernames = []
    for i in range(browsers):
        user, _ = User.objects.get_or_create(username=f"load_staff_{i}", defaults={"role": Role.CR_STAFF})
        user.set_password(PASSWORD)
        user.is_active = True
        user.save()
        user.projects.add(project)
        usernames.append(user.username)
    LoginThrottle.objects.filter(username__startswith="load_staff").delete()  # a fresh start for each run
    _client, key = api_client_create(name=f"load-{int(time.time())}", project_codes=[project.code])
    return project.code, key, usernames


def staff_user(base, stop, record, username):
    s = requests.Session()
    s.get(f"{base}/accounts/login/")
    r = s.post(f"{base}/accounts/login/", data={"username": username, "password": PASSWORD,
                                                 "csrfmiddlewaretoken": s.cookies.get("csrftoken", "")},
               headers={"Referer": f"{base}/accounts/login/"}, allow_redirects=False)
    record("login", r.status_code, r.elapsed.total_seconds())
    if r.status_code != 302:  # the form again: the pages below would all be redirects to the login page
        record("login refused", r.status_code, 0.0)
        return
    pages = ["/", "/complaints/", "/risk/items/", "/complaints/kpis/"]
    while not stop.is_set():
        path = random.choice(pages)
        started = time.perf_counter()
        r = s.get(f"{base}{path}", allow_redirects=False)
        record("page " + path, r.status_code, time.perf_counter() - started)
        time.sleep(random.uniform(0.2, 1.0))  # think time


def api_user(base, stop, record, code, key):
    s = requests.Session()
    s.headers["Authorization"] = f"Token {key}"
    n = 0
    while not stop.is_set():
        n += 1
        started = time.perf_counter()
        if n % 3:
            r = s.post(f"{base}/api/v1/complaints/", json={
                "project": code, "channel": "online", "category": "construction_quality",
                "title": f"负载测试 {n}", "description": "卫生间渗水，负载测试提交。"})
            record("api POST complaint", r.status_code, time.perf_counter() - started)
        else:
            r = s.get(f"{base}/api/v1/complaints/?page_size=20")
            record("api GET complaints", r.status_code, time.perf_counter() - started)
        time.sleep(random.uniform(0.2, 1.0))


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000 if values else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()
    code, key, usernames = setup_actors((args.users + 1) // 2)
    lock, timings, statuses = threading.Lock(), defaultdict(list), defaultdict(lambda: defaultdict(int))

    def record(kind, status, seconds):
        with lock:
            timings[kind].append(seconds)
            statuses[kind][status] += 1

    stop = threading.Event()
    threads = [threading.Thread(target=staff_user, args=(args.base, stop, record, usernames[i // 2])) if i % 2 == 0
               else threading.Thread(target=api_user, args=(args.base, stop, record, code, key)) for i in range(args.users)]
    for t in threads:
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in threads:
        t.join()
    everything = [v for vs in timings.values() for v in vs]
    errors = sum(c for st in statuses.values() for s, c in st.items() if s >= 500)
    print(f"users={args.users} seconds={args.seconds} requests={len(everything)} rps={len(everything) / args.seconds:.1f} 5xx={errors}")
    print(f"overall p50={pct(everything, 50):.0f} ms p95={pct(everything, 95):.0f} ms p99={pct(everything, 99):.0f} ms "
          f"mean={statistics.mean(everything) * 1000:.0f} ms")
    for kind in sorted(timings):
        print(f"  {kind:24} n={len(timings[kind]):5} p50={pct(timings[kind], 50):5.0f} ms p95={pct(timings[kind], 95):5.0f} ms "
              f"statuses={dict(statuses[kind])}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
