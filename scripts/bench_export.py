"""Benchmark of the figures' exports at city scale: the cases behind a sub-district's figure
over three years (about 100 k cases in a city of a million) as CSV and as XLSX, served by
gunicorn (one worker with four threads, as docs/operations.md serves the portal: a long
download does not trip the sync worker's 30 s timeout), beside a bare Flask app's worker in
the same run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_city \\
        .venv/bin/python scripts/bench_export.py

Prints, per format, the rows and bytes sent, the time, and the worker's peak resident memory
(VmHWM) before and after the export: the export reads through a cursor and writes a row at a
time, so its peak should not grow with the list. Needs gunicorn (`pip install -e '.[serve]'`).
"""

import http.client
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import HELLO, children, serve, sign_in_over_http

HERE = Path(__file__).resolve().parent.parent


def peak_mb(pid) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def busiest_sub_district():
    """(its code, its overseer's phone, how many cases it filed over the range) of the
    sub-district with most cases."""
    from sqlalchemy import func, select

    from portal import create_app
    from portal.accounts.models import Membership, Person
    from portal.accounts.roles import Role
    from portal.clock import local_date
    from portal.extensions import db
    from portal.organisation.models import Community, Compound, SubDistrict
    from portal.reports.models import CaseFact

    app = create_app()
    with app.app_context():
        first = local_date() - timedelta(days=3 * 366 - 1)
        code, sub_id, count = db.session.execute(
            select(SubDistrict.code, SubDistrict.id, func.count(CaseFact.case_id))
            .join(Community, Community.sub_district_id == SubDistrict.id)
            .join(Compound, Compound.community_id == Community.id)
            .join(CaseFact, CaseFact.compound_id == Compound.id)
            .group_by(SubDistrict.code, SubDistrict.id)
            .order_by(func.count(CaseFact.case_id).desc())
            .limit(1)
        ).one()
        phone = db.session.scalar(
            select(Person.phone)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Membership.role == Role.SUBDISTRICT_OVERSEER, Membership.sub_district_id == sub_id
            )
            .limit(1)
        )
        return code, phone, count, first, local_date()


def fetch(port, path, cookie) -> tuple[int, int, float, int]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    size = 0
    lines = 0
    while chunk := response.read(1 << 16):
        size += len(chunk)
        lines += chunk.count(b"\n")
    connection.close()
    return response.status, size, time.perf_counter() - started, lines


def main():
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("PORTAL_ENV", "development")
    env = dict(os.environ)
    env.setdefault("GUNICORN_CMD_ARGS", "--threads 4")
    code, phone, count, first, last = busiest_sub_district()
    print(f"sub-district {code}: {count} cases in all; exporting those filed {first} to {last}")
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "hello.py").write_text(HELLO)
        hello = serve("hello:app", 8621, 1, env, folder)
        hello_peak = max(peak_mb(p) for p in children(hello.pid))
        hello.terminate()
        hello.wait()
    portal = serve("wsgi:app", 8622, 1, env, HERE)
    worker = children(portal.pid)[0]
    cookie = sign_in_over_http(8622, phone)
    path = f"/figures/sub-district/{code}/cases.%s?figure=filed&from={first}&to={last}"
    print(f"hello's worker: peak {hello_peak:.0f} MB")
    print(f"portal's worker after sign-in: peak {peak_mb(worker):.0f} MB")
    for kind in ("csv", "xlsx"):
        status, size, seconds, lines = fetch(8622, path % kind, cookie)
        rows = f"{lines - 1} rows, " if kind == "csv" else ""
        print(
            f"{kind}: status {status}, {rows}{size / 1e6:.1f} MB in {seconds:.1f} s; "
            f"worker peak {peak_mb(worker):.0f} MB"
        )
    portal.terminate()
    portal.wait()


if __name__ == "__main__":
    main()
