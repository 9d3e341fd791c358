"""Settings: laptop defaults first, then what the environment overrides."""

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

# htmx is pinned: the address and its Subresource Integrity hash move together.
HTMX_VERSION = "2.0.11"
HTMX_CDN_URL = f"https://unpkg.com/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"

LANGUAGES = ("zh_CN", "en")

# What compression shrinks, of what the portal serves: pages, CSS, scripts, JSON and XML (the
# Open311 API, a person's copy of their data), SVG, and CSV (that copy again).
COMPRESSED_TYPES = [
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/xml",
    "text/xml",
    "image/svg+xml",
    "text/csv",
]
LOCAL_BASE_URL = "http://127.0.0.1:5000"


MISSING_KEY = (
    "SECRET_KEY must be set in the environment when the portal serves pages outside "
    "debug, testing or PORTAL_ENV=development."
)


def _refuse_to_serve():
    raise RuntimeError(MISSING_KEY)


def _secret_key(instance_path: str, local: bool) -> str | None:
    """The key, a generated one for local runs, or None in production without one: the
    commands (db upgrade, db check, sweep) need no key, but serving a page does."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not local:
        return None
    # A local run keeps one generated key, so sessions survive restarts.
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def base_url_problem(base_url: str) -> str | None:
    """Why people elsewhere could not open links built on this address, or None if they can."""
    try:
        parts = urlsplit(base_url)
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        return "it is not a well-formed address"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "it is not an http:// or https:// address"
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        return "it names this machine"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None  # a domain name: whether it resolves is the DNS's business
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified:
        return "it names this machine"
    return None


def public_base_url(config: Mapping) -> str | None:
    """The address to print on posters, receipts and messages, or None while it would lead
    nowhere: outside local runs a loopback (or malformed) PORTAL_BASE_URL is never handed out.
    The one rule every printed or sent link follows; read at call time, so that a changed
    BASE_URL counts at once."""
    base_url = config["BASE_URL"]
    if config.get("LOCAL_RUN") or base_url_problem(base_url) is None:
        return base_url
    return None


def engine_options(database_url: str) -> dict:
    """The connection pool of one worker process, and on PostgreSQL a statement timeout, so
    that one runaway query cannot hold a worker (and a connection) for ever."""
    options: dict = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        env = os.environ.get
        options["pool_size"] = int(env("PORTAL_DB_POOL_SIZE", "5"))
        options["max_overflow"] = int(env("PORTAL_DB_MAX_OVERFLOW", "5"))
        timeout = int(env("PORTAL_DB_STATEMENT_TIMEOUT_MS", "30000"))
        if timeout:
            options["connect_args"] = {"options": f"-c statement_timeout={timeout}"}
    return options


def load(app, overrides: dict | None = None) -> None:
    """Fill app.config: defaults, then environment, then explicit overrides (tests)."""
    overrides = overrides or {}
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    testing = bool(overrides.get("TESTING"))
    local = testing or app.debug or os.environ.get("PORTAL_ENV") == "development"

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'portal.sqlite3'}"
    if database_url.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    htmx_url = os.environ.get("HTMX_URL") or HTMX_CDN_URL
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(database_url),
        # Behind a TLS proxy: how many proxies set X-Forwarded-For/-Proto/-Host (ProxyFix).
        PROXY_HOPS=int(os.environ.get("PORTAL_PROXY_HOPS", "0")),
        HTMX_URL=htmx_url,
        # The pinned hash fits the pinned file only; another URL brings its own (or none).
        HTMX_INTEGRITY=os.environ.get("HTMX_INTEGRITY")
        or (
            HTMX_SRI
            if htmx_url.endswith(
                (f"htmx.org@{HTMX_VERSION}/dist/htmx.min.js", f"htmx-{HTMX_VERSION}.min.js")
            )
            else ""
        ),
        BABEL_DEFAULT_LOCALE="zh_CN",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        LANGUAGES=LANGUAGES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not local,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=not local,
        WTF_CSRF_TIME_LIMIT=None,
        PASSWORD_HASH_METHOD=os.environ.get("PORTAL_PASSWORD_HASH_METHOD", "scrypt"),
        # Four photos of up to 10 MB each, plus the form.
        MAX_CONTENT_LENGTH=45 * 1024 * 1024,
        # Where photos are kept (cases/photo_store.py): a folder, or an S3-compatible store.
        UPLOAD_FOLDER=os.environ.get("PORTAL_UPLOAD_FOLDER") or str(instance / "uploads"),
        PHOTO_STORE=os.environ.get("PORTAL_PHOTO_STORE") or "folder",
        S3_BUCKET=os.environ.get("PORTAL_S3_BUCKET", ""),
        S3_PREFIX=os.environ.get("PORTAL_S3_PREFIX", ""),
        S3_ENDPOINT_URL=os.environ.get("PORTAL_S3_ENDPOINT_URL", ""),
        S3_REGION=os.environ.get("PORTAL_S3_REGION", ""),
    )
    env = os.environ.get
    app.config.update(
        # "Keep me signed in" lasts this many days; a sign-in without it, this many hours.
        REMEMBER_COOKIE_DURATION=60 * 60 * 24 * int(env("PORTAL_REMEMBER_DAYS", "30")),
        SIGN_IN_HOURS=int(env("PORTAL_SIGN_IN_HOURS", "12")),
        # Guessing held back: failed sign-ins per phone (a growing delay after the third, a
        # lock at the limit) and per client address; sign-ups and visitors' filings per
        # address and hour. A lock lasts THROTTLE_LOCK_MINUTES.
        SIGN_IN_FAILURES_PER_PHONE=int(env("PORTAL_SIGN_IN_FAILURES_PER_PHONE", "10")),
        SIGN_IN_FAILURES_PER_ADDRESS=int(env("PORTAL_SIGN_IN_FAILURES_PER_ADDRESS", "50")),
        THROTTLE_LOCK_MINUTES=int(env("PORTAL_THROTTLE_LOCK_MINUTES", "15")),
        SIGN_UPS_PER_ADDRESS_HOUR=int(env("PORTAL_SIGN_UPS_PER_ADDRESS_HOUR", "10")),
        GUEST_FILINGS_PER_ADDRESS_HOUR=int(env("PORTAL_GUEST_FILINGS_PER_ADDRESS_HOUR", "30")),
        # Photos sent ahead of a filing (by the browser as they are chosen, or kept when a
        # form comes back with errors): how many a client address may send an hour, and how
        # many hours an unused one is kept before the sweep deletes it.
        PHOTO_UPLOADS_PER_ADDRESS_HOUR=int(env("PORTAL_PHOTO_UPLOADS_PER_ADDRESS_HOUR", "120")),
        PENDING_PHOTO_HOURS=int(env("PORTAL_PENDING_PHOTO_HOURS", "6")),
        # Responses compressed by the app (Flask-Compress): brotli when the browser takes it,
        # else gzip, for what compresses well and is over a kilobyte (below that the saving is
        # less than a packet). Photos (JPEG) are compressed already and pass as they are.
        # Scripts and CSS are streamed from their files, and compressed as they stream.
        # PORTAL_COMPRESS=0 leaves it to a proxy in front (docs/operations.md).
        COMPRESS_REGISTER=env("PORTAL_COMPRESS", "1") == "1",
        COMPRESS_MIMETYPES=COMPRESSED_TYPES,
        COMPRESS_MIN_SIZE=1024,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_ALGORITHM_STREAMING=["br", "gzip"],
        # Brotli 5 beats gzip's 6 by 5-10 % on our CSS and scripts, in about the same time;
        # Flask-Compress's 4 does not beat it at all.
        COMPRESS_BR_LEVEL=5,
        # Strict-Transport-Security on answers over HTTPS (behind a TLS proxy, with
        # PORTAL_PROXY_HOPS so that the forwarded scheme is believed); 0 sends none.
        HSTS_SECONDS=int(env("PORTAL_HSTS_SECONDS", "31536000")),
        # Deadlines and escalation (hours unless named days); see feedback/ and docs/operations.md.
        TRIAGE_HOURS_URGENT=int(env("PORTAL_TRIAGE_HOURS_URGENT", "2")),
        TRIAGE_HOURS=int(env("PORTAL_TRIAGE_HOURS", "24")),
        # The tiers of DESIGN.md section 3 (cases.deadlines): first contact with the resident,
        # an urgent case's resolution, 较急 and consulted cases in working days.
        RESPONSE_HOURS_URGENT=int(env("PORTAL_RESPONSE_HOURS_URGENT", "2")),
        RESPONSE_HOURS=int(env("PORTAL_RESPONSE_HOURS", "24")),
        URGENT_RESOLUTION_HOURS=int(env("PORTAL_URGENT_RESOLUTION_HOURS", "24")),
        HIGH_PRIORITY_DAYS=int(env("PORTAL_HIGH_PRIORITY_DAYS", "3")),
        COMPLEX_DAYS=int(env("PORTAL_COMPLEX_DAYS", "15")),
        # A resolution not signed by all three parties this many working days after it was
        # drafted lapses, and the sweep sends its case back to work.
        RESOLUTION_SIGN_DAYS=int(env("PORTAL_RESOLUTION_SIGN_DAYS", "5")),
        # The sweep tells administrators this many days before a year begins that its working
        # calendar is missing (portal.workdays).
        CALENDAR_WARN_DAYS=int(env("PORTAL_CALENDAR_WARN_DAYS", "45")),
        FEEDBACK_WINDOW_DAYS=int(env("PORTAL_FEEDBACK_WINDOW_DAYS", "7")),
        ESCALATE_AFTER_HOURS=int(env("PORTAL_ESCALATE_AFTER_HOURS", "24")),
        ESCALATE_AGAIN_AFTER_HOURS=int(env("PORTAL_ESCALATE_AGAIN_AFTER_HOURS", "72")),
        # 报到: working days an overseer has to acknowledge a case escalated to their level;
        # unacknowledged, the sweep reminds them, and after as many days again passes the case
        # a level up (the community's to the sub-district).
        ACKNOWLEDGE_DAYS=int(env("PORTAL_ACKNOWLEDGE_DAYS", "1")),
        # The figures (portal.reports, DESIGN.md section 6; stated on /figures/definitions):
        # the weight of 基本满意 in the satisfaction rate (some schemes use 0.9, others 1), and
        # the weights of the response, resolution and satisfaction rates in the composite score.
        SATISFACTION_BASICALLY_WEIGHT=float(env("PORTAL_SATISFACTION_BASICALLY_WEIGHT", "0.9")),
        COMPOSITE_WEIGHTS=env("PORTAL_COMPOSITE_WEIGHTS", "10/50/40"),
        # Recurring problems (每月一题, portal.recurring): the same category in one building or
        # compound in RECURRING_MONTHS of the last RECURRING_WINDOW_MONTHS months (a month
        # counting with RECURRING_CASES_A_MONTH cases there: one a month is ordinary), or in
        # RECURRING_COMPOUNDS compounds of one community with RECURRING_CASES_EACH cases each
        # in one month, is raised as a topic by `flask portal recurring` (nightly); at most
        # RECURRING_OPEN_TOPICS are open at once per compound, and per community.
        RECURRING_MONTHS=int(env("PORTAL_RECURRING_MONTHS", "3")),
        RECURRING_WINDOW_MONTHS=int(env("PORTAL_RECURRING_WINDOW_MONTHS", "6")),
        RECURRING_CASES_A_MONTH=int(env("PORTAL_RECURRING_CASES_A_MONTH", "2")),
        RECURRING_COMPOUNDS=int(env("PORTAL_RECURRING_COMPOUNDS", "3")),
        RECURRING_CASES_EACH=int(env("PORTAL_RECURRING_CASES_EACH", "2")),
        RECURRING_OPEN_TOPICS=int(env("PORTAL_RECURRING_OPEN_TOPICS", "3")),
        # Personal data (PIPL): the sweep removes the reporter's name and phone from cases
        # finished this many days ago, unless kept for the record; 0 keeps them (off).
        ANONYMISE_CLOSED_AFTER_DAYS=int(env("PORTAL_ANONYMISE_CLOSED_AFTER_DAYS", "0")),
        # Notifications: in-app always; e-mail and webhook only when configured.
        # Links in receipts, posters and messages; see public_base_url() for when it is used.
        BASE_URL=(env("PORTAL_BASE_URL") or LOCAL_BASE_URL).rstrip("/"),
        INBOX_POLL_SECONDS=int(env("PORTAL_INBOX_POLL_SECONDS", "30")),
        SMTP_HOST=env("PORTAL_SMTP_HOST", ""),
        SMTP_PORT=int(env("PORTAL_SMTP_PORT", "25")),
        SMTP_USER=env("PORTAL_SMTP_USER", ""),
        SMTP_PASSWORD=env("PORTAL_SMTP_PASSWORD", ""),
        SMTP_STARTTLS=env("PORTAL_SMTP_STARTTLS", "") == "1",
        SMTP_FROM=env("PORTAL_SMTP_FROM", "portal@localhost"),
        WEBHOOK_URL=env("PORTAL_WEBHOOK_URL", ""),
        WEBHOOK_SECRET=env("PORTAL_WEBHOOK_SECRET", ""),
        # Without a gateway (or SMTP), a local run writes one-time codes and confirmation
        # links to the log; a deployment never does unless PORTAL_MESSAGES_TO_LOG=1.
        MESSAGES_TO_LOG=env("PORTAL_MESSAGES_TO_LOG", "1" if local else "0") == "1",
        # One-time codes texted to a phone (sign-up, forgotten password): how long one lasts,
        # how many wrong tries kill it, how many a phone and a client address get an hour.
        PHONE_CODE_MINUTES=int(env("PORTAL_PHONE_CODE_MINUTES", "10")),
        PHONE_CODE_TRIES=int(env("PORTAL_PHONE_CODE_TRIES", "5")),
        PHONE_CODES_PER_PHONE_HOUR=int(env("PORTAL_PHONE_CODES_PER_PHONE_HOUR", "5")),
        PHONE_CODES_PER_ADDRESS_HOUR=int(env("PORTAL_PHONE_CODES_PER_ADDRESS_HOUR", "20")),
        # A link confirming a new e-mail address works this many hours.
        EMAIL_CONFIRM_HOURS=int(env("PORTAL_EMAIL_CONFIRM_HOURS", "48")),
        OUTBOX_MAX_ATTEMPTS=int(env("PORTAL_OUTBOX_MAX_ATTEMPTS", "6")),
        OUTBOX_BACKOFF_SECONDS=int(env("PORTAL_OUTBOX_BACKOFF_SECONDS", "60")),
        # The Open311 API (docs/open311.md): calls per key and minute; what discovery says.
        OPEN311_CALLS_PER_MINUTE=int(env("PORTAL_OPEN311_CALLS_PER_MINUTE", "120")),
        OPEN311_CONTACT=env("PORTAL_OPEN311_CONTACT", ""),
        OPEN311_KEY_SERVICE=env("PORTAL_OPEN311_KEY_SERVICE", ""),
    )
    # Local runs (tests, debug, PORTAL_ENV=development) may hand out links to this machine.
    app.config["LOCAL_RUN"] = local
    app.config.update(overrides)
    if not local:
        problem = base_url_problem(app.config["BASE_URL"])
        if problem:
            # Operators read this in the service's log, in English like every log line.
            app.logger.warning(
                "The portal's public address %r (PORTAL_BASE_URL, %s) will not do: %s. Until "
                "PORTAL_BASE_URL is the address people reach the portal at, QR posters are "
                "refused, and receipts, Open311 filings and notifications give no links to follow.",
                app.config["BASE_URL"],
                "set" if env("PORTAL_BASE_URL") else "unset",
                problem,
            )
    if "SECRET_KEY" not in overrides:
        app.config["SECRET_KEY"] = _secret_key(app.instance_path, local)
        if app.config["SECRET_KEY"] is None:
            app.before_request(_refuse_to_serve)
