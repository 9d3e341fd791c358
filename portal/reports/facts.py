"""Each case's facts (reports.models.CaseFact), worked out in one place from the case and its
events: kept in the transaction of every event that changes them, and rebuilt from the events
by `flask portal facts-rebuild` (which must, and a test checks it does, come to the same)."""

import enum
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal import signals
from portal.cases.events import EventKind
from portal.cases.models import Case, CaseEvent
from portal.extensions import db
from portal.feedback.models import Satisfaction
from portal.reports.models import CaseFact

TRIAGE = frozenset({EventKind.ACCEPT, EventKind.REJECT, EventKind.MERGE})
VERDICTS = frozenset({EventKind.CLOSE_SOLVED, EventKind.REOPEN})
COLUMNS = [c.name for c in CaseFact.__table__.columns]


def _seconds(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else int((end - start).total_seconds())


def _when(text) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def derive(case, events) -> dict:
    """The facts of `case` (a Case, or any object with its columns), given its events in the
    order they happened (objects with `action`, `at` and `data`)."""
    triaged_at = None
    resolution = None  # the RESOLVE event that stands
    verdict = None  # the last CLOSE_SOLVED or REOPEN that said what the resident thinks
    reopened = False
    for e in events:
        kind = EventKind(e.action)
        if kind in TRIAGE and triaged_at is None:
            triaged_at = e.at
        elif kind is EventKind.RESOLVE:
            resolution = e
        elif kind is EventKind.REOPEN:
            resolution, reopened = None, True
        if kind in VERDICTS and (e.data or {}).get("solved") is not None:
            verdict = e
    # The response: the first contact with the resident, or the triage if it came first.
    contacts = [t for t in (case.responded_at, triaged_at) if t is not None]
    responded = min(contacts) if contacts else None
    if case.response_due_at is None:
        responded_on_time = responded is not None
    else:
        responded_on_time = responded is not None and responded <= case.response_due_at
    resolved_at = resolution.at if resolution is not None else None
    resolution_due = _when((resolution.data or {}).get("due")) if resolution else None
    said = (verdict.data or {}) if verdict is not None else {}
    return {
        "case_id": case.id,
        "compound_id": case.compound_id,
        "category": case.category,
        "lead_party": case.lead_party,
        "filed_at": case.created_at,
        "triaged_at": triaged_at,
        "triage_seconds": _seconds(case.created_at, triaged_at),
        "responded_on_time": responded_on_time,
        "resolved_at": resolved_at,
        "resolve_seconds": _seconds(case.created_at, resolved_at),
        "resolved_on_time": (
            None if resolved_at is None or resolution_due is None else resolved_at <= resolution_due
        ),
        "reopened": reopened,
        "closed_at": case.closed_at,
        "closure": case.closure,
        "visited": verdict is not None,
        "solved": said.get("solved"),
        "satisfaction": Satisfaction(said["satisfaction"]) if said.get("satisfaction") else None,
    }


def derive_row(case: dict, events: list[dict]) -> dict:
    """`derive` for rows written in bulk (the city generator): plain dicts in, plain values
    out, as a COPY writes them."""
    fact = derive(SimpleNamespace(**case), [SimpleNamespace(**e) for e in events])
    return {k: v.value if isinstance(v, enum.Enum) else v for k, v in fact.items()}


def _upsert(rows: list[dict]) -> None:
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(CaseFact).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["case_id"],
        set_={name: statement.excluded[name] for name in COLUMNS if name != "case_id"},
    )
    db.session.execute(statement)


# -- kept with every event -----------------------------------------------------------------

_DUE = "facts_due"


@signals.case_event_recorded.connect
def _note_case(event, **_):
    """The event's case has facts to keep before its transaction commits."""
    db.session.info.setdefault(_DUE, {})[id(event.case)] = event.case


@event.listens_for(Session, "before_commit")
def _keep(session):
    due = session.info.pop(_DUE, None)
    if not due:
        return
    # Worked out from the events as they will be committed (a look-up flushes them first).
    rows = [derive(case, case.events) for case in due.values()]
    with session.no_autoflush:
        _upsert(rows)


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_DUE, None)


# -- rebuilt from the events ---------------------------------------------------------------


def rebuild(batch: int = 1000) -> int:
    """Every case's facts worked out again from its events, replacing what was kept: the
    answer when the kept facts are in doubt (after a restore, or a change of a definition).
    Reads the cases a batch at a time, so memory stays flat at any size. Returns how many."""
    db.session.execute(delete(CaseFact))
    done, after = 0, 0
    while True:
        cases = list(
            db.session.scalars(select(Case).where(Case.id > after).order_by(Case.id).limit(batch))
        )
        if not cases:
            break
        events: dict[int, list] = {c.id: [] for c in cases}
        rows = db.session.execute(
            select(CaseEvent.case_id, CaseEvent.action, CaseEvent.at, CaseEvent.data)
            .where(CaseEvent.case_id.between(cases[0].id, cases[-1].id))
            .order_by(CaseEvent.case_id, CaseEvent.id)
        )
        for row in rows:
            events[row.case_id].append(row)
        _upsert([derive(c, events[c.id]) for c in cases])
        done += len(cases)
        after = cases[-1].id
        db.session.expunge_all()
    db.session.commit()
    return done
