"""Benchmark of the Open311 API's list call at city scale, beside a bare Flask app.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_city \\
        .venv/bin/python scripts/bench_open311.py --seconds 20 --connections 2 16

Serves the portal (on the database DATABASE_URL names, e.g. one `flask portal city` built)
and a bare Flask "hello" app, each under gunicorn with the same settings, one after the other
in the same run, and drives each with a bounded Python load generator: per run, req/s, the
ratio to hello, p50/p95/p99 and bytes. The portal's calls are `GET requests.json` with a
90-day window ending at a random day of the last 24 months and `page_size=100`, with a key
for a sub-district (the widest scope) and one for a compound. Needs gunicorn
(`.venv/bin/pip install -e '.[serve]'`).
"""

import argparse
import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import HELLO, load, serve  # the same server, load generator and hello app

ROOT = Path(__file__).resolve().parent.parent


def issue_keys():
    """A read key for the sub-district with the most compounds and one for the busiest
    compound."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    from portal import create_app
    from portal.cases.models import Case
    from portal.extensions import db
    from portal.open311 import keys
    from portal.organisation.models import Community, Compound, SubDistrict

    app = create_app()
    with app.app_context():
        widest = db.session.execute(
            select(Community.sub_district_id, func.count(Compound.id))
            .join(Compound, Compound.community_id == Community.id)
            .group_by(Community.sub_district_id)
            .order_by(func.count(Compound.id).desc())
            .limit(1)
        ).one()
        sub = db.session.get_one(SubDistrict, widest[0])
        busiest = db.session.execute(
            select(Case.compound_id, func.count())
            .group_by(Case.compound_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
        compound = db.session.get_one(Compound, busiest[0])
        return {
            "sub_district": keys.issue("bench", sub, may_read=True, may_file=False)[1],
            "compound": keys.issue("bench", compound, may_read=True, may_file=False)[1],
            "compound_code": compound.code,
            "compound_cases": busiest[1],
            "sub_district_compounds": widest[1],
            "cases": db.session.scalar(select(func.count()).select_from(Case)),
        }


def urls_for(key, now, count=200):
    """(method, path, body, headers) of `count` calls, each a 90-day window ending on a random
    day of the last 24 months."""
    urls = []
    for _ in range(count):
        end = now - timedelta(days=random.randint(0, 700))
        start = end - timedelta(days=90)
        stamp = "%Y-%m-%dT%H:%M:%SZ"
        path = (
            f"/open311/v2/requests.json?api_key={key}"
            f"&start_date={start.strftime(stamp)}&end_date={end.strftime(stamp)}&page_size=100"
        )
        urls.append(("GET", path, None, {}))
    return urls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, nargs="+", default=[2, 16])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ["PORTAL_OPEN311_CALLS_PER_MINUTE"] = "100000000"
    env = dict(os.environ)
    found = issue_keys()
    print(
        f"{found['cases']} cases; compound {found['compound_code']} has {found['compound_cases']}",
        flush=True,
    )
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "hello.py").write_text(HELLO)
        rows = []
        for connections in args.connections:
            hello = serve("hello:app", 8601, args.workers, env, folder)
            result = load(8601, [("GET", "/", None, {})], args.seconds, connections)
            hello.terminate()
            hello.wait()
            rows.append(("hello", connections, result, result["rps"]))
            base = result["rps"]
            portal = serve("wsgi:app", 8602, args.workers, env, ROOT)
            for scope in ("sub_district", "compound"):
                result = load(8602, urls_for(found[scope], now), args.seconds, connections)
                rows.append((f"requests.json, {scope} key", connections, result, base))
            portal.terminate()
            portal.wait()
    print("| call | connections | req/s | of hello | p50 ms | p95 ms | p99 ms | bytes | failed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, connections, r, base in rows:
        print(
            f"| {name} | {connections} | {r['rps']:.0f} | {100 * r['rps'] / base:.1f} % | "
            f"{r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | {r['bytes']:.0f} | "
            f"{sum(r['failures'].values())} |"
        )


if __name__ == "__main__":
    main()
