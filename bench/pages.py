"""Time the dashboard and the admin fuel-ticket changelist in-process (Django test Client).

Run by bench/run.py as a subprocess against a copy of a bench database:

    python bench/pages.py --repeat 7

Logs in the seeded superuser ``bench``, requests each page once to warm caches, then
``--repeat`` times, each inside CaptureQueriesContext.  Prints one JSON document:
{url: {"median_ms", "min_ms", "max_ms", "queries", "status"}, "tickets": N}.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.e2e.settings")

PAGES = ["/dashboard/", "/admin/fueltickets/dailyfuelticket/"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from fueltickets.models import DailyFuelTicket

    setup_test_environment()
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench"))
    results = {"tickets": DailyFuelTicket.objects.count()}
    for url in PAGES:
        client.get(url)  # warm: templates, the session, SQLite's page cache
        times, queries, status = [], set(), None
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            status = response.status_code
            queries.add(len(captured.captured_queries))
        results[url] = {
            "median_ms": round(statistics.median(times), 1),
            "min_ms": round(min(times), 1),
            "max_ms": round(max(times), 1),
            "queries": sorted(queries)[-1],
            "queries_vary": len(queries) > 1,
            "status": status,
        }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
