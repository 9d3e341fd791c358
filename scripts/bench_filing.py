"""Benchmark of filing from a cheap phone on a slow link, beside a bare Flask app in the same run.

    .venv/bin/python scripts/bench_filing.py --runs 3

Builds the demo world in a temporary SQLite database, serves the portal and a bare Flask
"hello" app under gunicorn (2 sync workers each), and drives Debian's Chromium (Playwright) on
a 390 px phone over an emulated slow 3G link (400 kbit/s each way, 400 ms round trips) with
its CPU slowed four times, as the issue measured it. Per run it measures:

- hello: loading the bare app's page over the same link (the link's floor);
- the filing form's first visit: time to `load` and bytes on the wire (every response's
  encoded size with its headers, as DevTools counts them);
- the next page after filing (the receipt), with the stylesheet and scripts cached;
- filing with one 12-megapixel phone photo (about 2.7 MB), with JavaScript (the photo chosen
  and "send" tapped at once) and without (the whole photo sent with the form): seconds from
  tapping send to the receipt, and the bytes sent up.

Prints the median of the runs as a Markdown table (`--json FILE` keeps every run). `--root`
serves another checkout (its translations compiled), for a before/after in one session. Needs
gunicorn (`.venv/bin/pip install -e '.[serve]'`), Chromium and the local htmx copy that
`python3 scripts/dev.py test` fetches.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench.py beside this file; the tests' factories (their phone photo) from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import HELLO, serve

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 // 8,
    "uploadThroughput": 400_000 // 8,
}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phone_photo(path: Path) -> Path:
    """The tests' phone photo (tests/factories.py), written to a file to choose."""
    from tests.factories import phone_photo as made

    path.write_bytes(made())
    return path


class Wire:
    """Bytes on the wire of one tab, from DevTools' own accounting."""

    def __init__(self, page):
        self.devtools = page.context.new_cdp_session(page)
        self.devtools.send("Network.enable")
        self.devtools.send("Network.setCacheDisabled", {"cacheDisabled": False})
        self.devtools.send("Network.emulateNetworkConditions", SLOW_3G)
        self.devtools.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        self.received = 0
        self.sent = 0
        self.devtools.on("Network.loadingFinished", self._finished)
        # The request's own headers as sent (Content-Length included), which the plain
        # requestWillBeSent event leaves out.
        self.devtools.on("Network.requestWillBeSentExtraInfo", self._sent)

    def _finished(self, event):
        self.received += int(event["encodedDataLength"])

    def _sent(self, event):
        headers = {k.lower(): v for k, v in event.get("headers", {}).items()}
        self.sent += int(headers.get("content-length") or 0)

    def reset(self):
        self.received = self.sent = 0


SEND = "main form[enctype] button[type=submit]"


def fill(page):
    page.select_option("#category", "lift")
    page.fill("#description", "2号楼电梯停在5楼不动，老人上下楼很困难。")
    page.fill("#contact_name", "王阿姨")
    page.fill("#contact_phone", "13712345678")
    page.check("#privacy")


def one_run(browser, base, hello_url, photo: Path) -> dict:
    figures = {}
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    wire = Wire(page)
    started = time.monotonic()
    page.goto(hello_url, wait_until="load")
    figures["hello_s"] = time.monotonic() - started

    wire.reset()
    started = time.monotonic()
    page.goto(f"{base}/c/ymn/report?building=1", wait_until="load")
    figures["form_s"] = time.monotonic() - started
    page.wait_for_load_state("networkidle")
    figures["form_bytes"] = wire.received

    fill(page)
    wire.reset()
    page.set_input_files("#photos", str(photo))
    tapped = time.monotonic()
    page.locator(SEND).last.click(no_wait_after=True)
    page.wait_for_url("**/receipt", timeout=120_000)
    page.wait_for_load_state("load")
    figures["js_send_s"] = time.monotonic() - tapped
    figures["js_sent_bytes"] = wire.sent
    page.wait_for_load_state("networkidle")
    # The receipt: what the page after filing cost, its stylesheet already cached.
    receipt_started = wire.received
    page.reload(wait_until="networkidle")
    figures["next_page_bytes"] = wire.received - receipt_started
    context.close()

    context = browser.new_context(**PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    wire = Wire(page)
    page.goto(f"{base}/c/ymn/report?building=1", wait_until="load")
    fill(page)
    page.set_input_files("#photos", str(photo))
    wire.reset()
    tapped = time.monotonic()
    page.locator(SEND).last.click(no_wait_after=True)
    try:
        page.wait_for_url("**/receipt", timeout=300_000)
    except Exception:
        print(page.locator("main").inner_text())
        raise
    page.wait_for_load_state("load")
    figures["no_js_send_s"] = time.monotonic() - tapped
    figures["no_js_sent_bytes"] = wire.sent
    context.close()
    return figures


def setup(folder: Path, root: Path) -> dict:
    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "PORTAL_ENV": "development",
        "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
        "PORTAL_UPLOAD_FOLDER": str(folder / "uploads"),
        # Filing many times from one address in a few minutes is the benchmark, not an attack.
        "PORTAL_GUEST_FILINGS_PER_ADDRESS_HOUR": "1000",
        "PORTAL_PHOTO_UPLOADS_PER_ADDRESS_HOUR": "1000",
        # A sync worker reads the body itself: a whole photo over this link takes about a
        # minute, past gunicorn's 30 s default (behind a proxy that buffers bodies it would not).
        "GUNICORN_CMD_ARGS": "--timeout 300",
    }
    htmx = sorted((root / "portal" / "static" / "vendor").glob("htmx-*.min.js"))
    if htmx:
        env["HTMX_URL"] = f"/static/vendor/{htmx[-1].name}"
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=root, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "portal", "demo"], cwd=root, env=env, check=True, capture_output=True)
    return env


def table(runs: list[dict]) -> str:
    def median(key):
        return statistics.median(r[key] for r in runs)

    rows = [
        ("hello (bare Flask) over the same link", f"{median('hello_s'):.1f} s", "—"),
        (
            "filing form, first visit",
            f"{median('form_s'):.1f} s to load",
            f"{median('form_bytes') / 1024:.1f} kB received",
        ),
        (
            "next page (the receipt), styles and scripts cached",
            "—",
            f"{median('next_page_bytes') / 1024:.1f} kB received",
        ),
        (
            "send with a 12 MP photo, JavaScript",
            f"{median('js_send_s'):.1f} s send → receipt",
            f"{median('js_sent_bytes') / 1024:.0f} kB sent",
        ),
        (
            "send with a 12 MP photo, no JavaScript",
            f"{median('no_js_send_s'):.1f} s send → receipt",
            f"{median('no_js_sent_bytes') / 1024:.0f} kB sent",
        ),
    ]
    lines = ["| what | time | bytes |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve")
    options = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        root = options.root.resolve()
        env = setup(folder, root)
        photo = phone_photo(folder / "IMG_0001.jpg")
        photo_bytes = photo.stat().st_size
        hello_file = folder / "hello.py"
        hello_file.write_text(HELLO)
        portal_port, hello_port = free_port(), free_port()
        servers = [
            serve("wsgi:app", portal_port, 2, env, root),
            serve("hello:app", hello_port, 2, {**os.environ}, folder),
        ]
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-background-networking"],
                )
                runs = [
                    one_run(
                        browser,
                        f"http://127.0.0.1:{portal_port}",
                        f"http://127.0.0.1:{hello_port}/",
                        photo,
                    )
                    for _ in range(options.runs)
                ]
                browser.close()
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    print(f"photo chosen: {photo_bytes:,} bytes, 4000 × 3000")
    print(table(runs))
    if options.json:
        options.json.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
