"""Benchmark of the portal's pages at city scale, beside a bare Flask app in the same run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_city \\
        .venv/bin/python scripts/bench.py --seconds 10 --connections 16

On a database `flask portal city` built (any size), this finds the demo compound's people and
a case with about ten events, counts the SQL statements of each page once in process, then
serves the portal and a bare Flask "hello" app, each under gunicorn with the same settings
(2 sync workers), and drives each page in turn with a bounded Python load generator, signed
in as the person who uses the page. Hello runs first and last; each page's share is of their
mean. Per page it prints req/s, the share of hello's, p50/p95/p99, the CPU per request of the
app's workers and of the database's processes (PostgreSQL), statements and bytes; then the
workers' RSS and the sweep's time (which changes the city: reminders, escalations).

`--root` serves another checkout of the portal (for a before/after comparison in one
session); `--json FILE` keeps the figures. Needs gunicorn (`.venv/bin/pip install -e
'.[serve]'`).
"""

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
HELLO = """
from flask import Flask
app = Flask(__name__)

@app.get("/")
def hello():
    return "hello"
"""
TICKS = os.sysconf("SC_CLK_TCK")


# -- processes -----------------------------------------------------------------------------


def serve(app_spec, port, workers, env, cwd):
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", app_spec]
    process = subprocess.Popen(command, cwd=cwd, env=env)
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz" if app_spec.startswith("wsgi") else "/")
            connection.getresponse().read()
            break
        except OSError:
            time.sleep(0.2)
    return process


def children(pid) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def database_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def rss_mb(pid) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- load --------------------------------------------------------------------------------


def load(port, requests, seconds, connections):
    """Each connection sends one request after another for `seconds`, on a new TCP
    connection each time. `requests` is a list of (method, path, body, headers)."""
    latencies: list[float] = []
    sizes: list[int] = []
    failures: dict[int, int] = {}
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker(offset):
        n = offset
        while time.monotonic() < stop:
            method, path, body, headers = requests[n % len(requests)]
            n += 1
            started = time.perf_counter()
            status, size = 0, 0
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                size = len(response.read())
                status = response.status
                connection.close()
            except OSError:
                pass
            spent = time.perf_counter() - started
            with lock:
                if status in (200, 302, 303):
                    latencies.append(spent)
                    sizes.append(size)
                else:
                    failures[status] = failures.get(status, 0) + 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()

    def pct(p):
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000

    return {
        "requests": len(latencies),
        "failures": failures,
        "rps": len(latencies) / elapsed,
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "bytes": statistics.mean(sizes) if sizes else 0,
    }


# -- the city's people and pages -----------------------------------------------------------


def setup(root):
    """The people and addresses of each page, and the statements each costs (in process)."""
    sys.path.insert(0, str(root))
    from sqlalchemy import event, func, select

    from portal import create_app
    from portal.accounts.models import Membership, Person
    from portal.accounts.roles import Role
    from portal.cases.models import Case, CaseEvent
    from portal.cases.workflow import OPEN_STATES
    from portal.extensions import db
    from portal.organisation.models import Community, Compound, SubDistrict

    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        ymn = db.session.scalar(select(Compound).where(Compound.code == "ymn"))
        assert ymn is not None, "no demo compound: build the city with `flask portal city`"

        def member(role, scope_column, scope_id):
            return db.session.scalar(
                select(Person.phone)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.role == role, scope_column == scope_id)
                .order_by(Person.id)
                .limit(1)
            )

        secretary = member(Role.SECRETARY, Membership.compound_id, ymn.id)
        overseer = member(Role.COMMUNITY_OVERSEER, Membership.community_id, ymn.community_id)
        # The figures of the city's busiest sub-district (most compounds), as its overseer.
        busiest = db.session.execute(
            select(Community.sub_district_id, func.count(Compound.id))
            .join(Compound, Compound.community_id == Community.id)
            .group_by(Community.sub_district_id)
            .order_by(func.count(Compound.id).desc())
            .limit(1)
        ).one()[0]
        sub_code = db.session.get(SubDistrict, busiest).code
        street = member(Role.SUBDISTRICT_OVERSEER, Membership.sub_district_id, busiest)
        community = ymn.community.code
        staff = db.session.execute(
            select(Person.phone, func.count(Case.id))
            .join(Case, Case.assignee_id == Person.id)
            .where(Case.compound_id == ymn.id, Case.state.in_([s.value for s in OPEN_STATES]))
            .group_by(Person.phone)
            .order_by(func.count(Case.id).desc())
            .limit(1)
        ).one()[0]
        resident = db.session.execute(
            select(Person.phone, func.count(Case.id))
            .join(Case, Case.reporter_id == Person.id)
            .where(Case.compound_id == ymn.id)
            .group_by(Person.phone)
            .order_by(func.count(Case.id).desc())
            .limit(1)
        ).one()[0]
        events = (
            select(CaseEvent.case_id)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.compound_id == ymn.id)
            .group_by(CaseEvent.case_id)
            .having(func.count(CaseEvent.id) == 10)
            .limit(1)
        )
        number = db.session.scalar(select(Case.number).where(Case.id.in_(events)))
        building = ymn.buildings[0].id
        cases = db.session.scalar(select(func.count()).select_from(Case))
        in_ymn = db.session.scalar(select(func.count()).where(Case.compound_id == ymn.id))
        db.session.remove()

    client = app.test_client()
    counted = [0]
    with app.app_context():
        engine = db.engine

    def count(*_):
        counted[0] += 1

    event.listen(engine, "before_cursor_execute", count)

    def signed_in(phone):
        c = app.test_client()
        assert c.post("/login", data={"phone": phone, "password": "demo1234"}).status_code == 302
        return c

    clients = {
        who: signed_in(phone)
        for who, phone in (
            ("secretary", secretary),
            ("staff", staff),
            ("resident", resident),
            ("overseer", overseer),
            ("street", street),
        )
    }
    clients["nobody"] = client
    # The queue's 21st page of every case, as a secretary following "more".
    path = "/c/ymn/cases?state=all"
    for _ in range(20):
        text = clients["secretary"].get(path).get_data(as_text=True)
        found = re.search(r'<a class="button secondary" href="([^"]*after=[^"]+)"', text)
        if not found:
            break
        path = found.group(1).replace("&amp;", "&")
    later = path
    filing = {
        "building": str(building),
        "category": "repair",
        "description": "楼道灯坏了，晚上看不见台阶" + MARK,
        "contact_name": "压测",
        "contact_phone": "13700000000",
        "privacy": "y",
        # The open cases of the same problem already shown: each send files a case.
        "seen_same": f"{building}:repair",
    }
    pages = [
        ("/healthz", "nobody", "GET", "/healthz"),
        ("queue", "secretary", "GET", "/c/ymn/cases"),
        ("queue, a later page of all", "secretary", "GET", later),
        ("case page (10 events)", "secretary", "GET", f"/cases/{number}"),
        ("secretary's desk", "secretary", "GET", "/desk/secretary"),
        ("noticeboard", "resident", "GET", "/c/ymn/notices"),
        ("my cases (property staff)", "staff", "GET", "/cases/mine"),
        ("resident's /my", "resident", "GET", "/my"),
        ("community overseer's desk", "overseer", "GET", "/desk/community_overseer"),
        ("escalated cases", "overseer", "GET", "/oversight/escalated"),
        ("filing POST", "resident", "POST", "/c/ymn/report"),
        # The figures (issue 8): this month, beside last month, with the charts.
        ("figures: sub-district", "street", "GET", f"/figures/sub-district/{sub_code}"),
        ("figures: community", "overseer", "GET", f"/figures/community/{community}"),
        ("figures: compound", "secretary", "GET", "/figures/compound/ymn"),
        (
            "property company ledger",
            "street",
            "GET",
            f"/figures/sub-district/{sub_code}/property-companies",
        ),
        ("sub-district overseer's desk", "street", "GET", "/desk/subdistrict_overseer"),
    ]
    statements = {}
    for name, who, method, address in pages:
        with app.app_context():
            counted[0] = 0
            if method == "POST":
                response = clients[who].post(address, data=filing)
            else:
                response = clients[who].get(address)
            assert response.status_code in (200, 302), (name, response.status_code)
            statements[name] = counted[0]
    event.remove(engine, "before_cursor_execute", count)
    people = {
        "secretary": secretary,
        "staff": staff,
        "resident": resident,
        "overseer": overseer,
        "street": street,
    }
    return {
        "app": app,
        "clients": clients,
        "later": later,
        "pages": pages,
        "statements": statements,
        "people": people,
        "filing": filing,
        "cases": cases,
        "in_ymn": in_ymn,
        "number": number,
    }


def sign_in_over_http(port, phone) -> str:
    """The Cookie header of a person signed in to the served app."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    if token is None:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on the sign-in page"
    body = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "phone": phone, "password": "demo1234"}
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/login", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    assert response.status == 302, f"signing in {phone}: {response.status}"
    return response.getheader("Set-Cookie", "").split(";")[0]


def csrf_for(port, cookie, path) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie})
    page = connection.getresponse().read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, f"no CSRF token on {path}"
    return token.group(1)


MARK = "（压测）"  # in the description of every case the benchmark files


def forget_filed_cases():
    """Delete the cases the filing benchmark made (and what hangs on them), so that the city
    is the same for the next run."""
    from sqlalchemy import delete, select

    from portal import create_app
    from portal.cases.models import Case, CaseEvent, Photo
    from portal.extensions import db
    from portal.notifications.models import Notification, OutboxMessage

    app = create_app()
    with app.app_context():
        ids = select(Case.id).where(Case.description.endswith(MARK)).scalar_subquery()
        notified = select(Notification.id).where(Notification.case_id.in_(ids))
        db.session.execute(delete(OutboxMessage).where(OutboxMessage.notification_id.in_(notified)))
        db.session.execute(delete(Notification).where(Notification.case_id.in_(ids)))
        db.session.execute(delete(Photo).where(Photo.case_id.in_(ids)))
        db.session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
        gone = db.session.execute(delete(Case).where(Case.description.endswith(MARK))).rowcount
        db.session.commit()
    return gone


def sweep_times(root, env) -> dict:
    """The sweep's CLI run (start-up included), then its own work timed in process: what
    it found due since the city was built, then a run with nothing new due."""
    flask = Path(sys.executable).with_name("flask")
    started = time.perf_counter()
    subprocess.run([str(flask), "--app", "wsgi", "portal", "sweep"], cwd=root, env=env, check=True)
    cli = time.perf_counter() - started
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db
    from portal.feedback.sweep import sweep

    app = create_app()
    counted = [0]
    runs = []
    with app.app_context():

        def count(*_):
            counted[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        for _ in range(2):
            counted[0] = 0
            started = time.perf_counter()
            counts = sweep()
            runs.append(
                {"ms": 1000 * (time.perf_counter() - started), "statements": counted[0], **counts}
            )
        event.remove(db.engine, "before_cursor_execute", count)
    return {"cli": cli, "runs": runs}


def explain(root):
    """EXPLAIN (ANALYZE, BUFFERS) of the statements that read cases on the queue's first and a
    later page and on "my cases", and of the sweep's look-ups: the plans show how many rows
    each reads."""
    sys.path.insert(0, str(root))
    from sqlalchemy import event, text

    from portal.extensions import db
    from portal.feedback.sweep import sweep

    found = setup(root)
    import portal

    assert Path(portal.__file__).is_relative_to(root), f"{portal.__file__} is not in {root}"
    app = found["app"]
    with app.app_context():
        engine = db.engine
    captured: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and 'FROM "case"' in statement:
            captured.append((statement, parameters))

    def show(title, run):
        captured.clear()
        event.listen(engine, "before_cursor_execute", keep)
        try:
            run()
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        print(f"\n### {title}")
        statements = list(captured)
        with engine.connect() as conn:
            for statement, parameters in statements:
                raw = conn.connection.dbapi_connection
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = [row[0] for row in cursor.fetchall()]
                print("\n    " + " ".join(statement.split())[:300] + " …")
                for line in plan:
                    print("    " + line)
            conn.execute(text("SELECT 1"))

    clients = found["clients"]
    show("/c/ymn/cases", lambda: clients["secretary"].get("/c/ymn/cases"))
    show(found["later"], lambda: clients["secretary"].get(found["later"]))
    show("/cases/mine", lambda: clients["staff"].get("/cases/mine"))

    def swept():
        with app.app_context():
            sweep()

    show("the sweep", swept)
    forget_filed_cases()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to serve")
    parser.add_argument("--only", nargs="*", help="page names to run (default: all)")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    parser.add_argument(
        "--explain", action="store_true", help="print the query plans instead (PostgreSQL)"
    )
    args = parser.parse_args()
    root = args.root.resolve()
    if args.explain:
        explain(root)
        return

    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.setdefault("PORTAL_ENV", "development")  # cookies without Secure over http
    env = dict(os.environ)
    found = setup(root)
    import portal

    assert Path(portal.__file__).is_relative_to(root), f"{portal.__file__} is not in {root}"
    postgres = os.environ.get("DATABASE_URL", "").startswith("postgresql")
    print(
        f"{found['cases']} cases, {found['in_ymn']} in ymn; case {found['number']}; "
        f"people {found['people']}",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "hello.py").write_text(HELLO)

        def hello_run():
            hello = serve("hello:app", 8611, args.workers, env, folder)
            pids = children(hello.pid)
            before = cpu_seconds(pids)
            result = load(8611, [("GET", "/", None, {})], args.seconds, args.connections)
            result["cpu_ms"] = 1000 * (cpu_seconds(pids) - before) / max(result["requests"], 1)
            result["rss"] = max(rss_mb(p) for p in pids)
            hello.terminate()
            hello.wait()
            return result

        first_hello = hello_run()
        portal = serve("wsgi:app", 8612, args.workers, env, root)
        workers = children(portal.pid)
        cookies = {who: sign_in_over_http(8612, phone) for who, phone in found["people"].items()}
        cookies["nobody"] = ""
        token = csrf_for(8612, cookies["resident"], "/c/ymn/report")
        for name, who, method, address in found["pages"]:
            if args.only and name not in args.only:
                continue
            headers = {"Cookie": cookies[who]} if cookies[who] else {}
            body = None
            if method == "POST":
                body = urllib.parse.urlencode({"csrf_token": token, **found["filing"]})
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            app_before = cpu_seconds(workers)
            db_pids = database_pids() if postgres else []
            db_before = cpu_seconds(db_pids)
            result = load(8612, [(method, address, body, headers)], args.seconds, args.connections)
            served = max(result["requests"], 1)
            result["cpu_ms"] = 1000 * (cpu_seconds(workers) - app_before) / served
            result["db_cpu_ms"] = 1000 * (cpu_seconds(db_pids) - db_before) / served
            result["statements"] = found["statements"][name]
            rows.append((name, result))
            print(f"  {name}: {result['rps']:.0f} req/s, p95 {result['p95']:.1f} ms", flush=True)
        rss = max(rss_mb(p) for p in workers)
        portal.terminate()
        portal.wait()
        last_hello = hello_run()
    hello_rps = (first_hello["rps"] + last_hello["rps"]) / 2
    forgotten = forget_filed_cases()
    sweep = sweep_times(root, env)

    print()
    print(
        f"hello: {first_hello['rps']:.0f} and {last_hello['rps']:.0f} req/s, "
        f"p95 {first_hello['p95']:.1f} / {last_hello['p95']:.1f} ms, "
        f"RSS {first_hello['rss']:.0f} MB"
    )
    print(
        "| page | req/s | of hello | p50 ms | p95 ms | p99 ms | CPU ms/req | DB CPU ms/req "
        "| statements | bytes | failed |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        failed = sum(r["failures"].values())
        print(
            f"| {name} | {r['rps']:.0f} | {100 * r['rps'] / hello_rps:.1f} % | {r['p50']:.1f} | "
            f"{r['p95']:.1f} | {r['p99']:.1f} | {r['cpu_ms']:.1f} | "
            f"{r['db_cpu_ms']:.1f} | {r['statements']} | {r['bytes']:.0f} | {failed} |"
        )
    print(f"worker RSS after the run: {rss:.0f} MB (hello {last_hello['rss']:.0f} MB)")
    print(f"{forgotten} cases the filing benchmark made deleted again")
    print(f"sweep: CLI {sweep['cli']:.2f} s (start-up included); in process:")
    for run in sweep["runs"]:
        print(f"  {run}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "cases": found["cases"],
                    "hello": [first_hello, last_hello],
                    "pages": dict(rows),
                    "rss": rss,
                    "sweep": sweep,
                },
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
