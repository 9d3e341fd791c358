"""Every revision keeps the rows it finds, in SecureDrop's UpgradeTester style: for each revision
after the first, a tester writes rows with plain SQL at the revision before (`load_data`), and
after the upgrade to its revision reads them back (`check_upgrade`): every row is still there
with the same values, and the columns the revision adds read as their defaults. On SQLite and,
with TEST_DATABASE_URL, on PostgreSQL.

No revision so far changes data: each one adds tables, and 53cc2678d302, da658a649f98 and
1e325e52a5aa add columns to tables that already hold rows (`case`, `person`, `compound`), with a
server default or NULL; 84110a83bb92 only changes indexes. So
the testers check that nothing is lost and the new columns are filled in. A revision that moves
or rewrites data must bring a tester that checks exactly that; a revision without a tester
fails test_every_revision_after_the_first_has_an_upgrade_tester."""

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from portal import MIGRATIONS, create_app
from portal.extensions import db
from tests.conftest import app_settings

SCRIPTS = ScriptDirectory(str(MIGRATIONS))
# Oldest first; the first revision builds the schema from nothing and has no rows to keep.
REVISIONS = [script.revision for script in reversed(list(SCRIPTS.walk_revisions()))]


# -- plain SQL -----------------------------------------------------------------------------


def moment(conn, hour=2) -> str:
    """2 March 2026 at `hour` UTC, as each database keeps the app's UTC timestamps."""
    if conn.dialect.name == "sqlite":
        return f"2026-03-02 {hour:02d}:00:00.000000"  # naive UTC (portal.clock.UTCDateTime)
    return f"2026-03-02 {hour:02d}:00:00+00"


def insert(conn, table, **values):
    columns = ", ".join(f'"{c}"' for c in values)
    params = ", ".join(f":{c}" for c in values)
    conn.execute(text(f'INSERT INTO "{table}" ({columns}) VALUES ({params})'), values)


def rows(conn, table) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1'))]


def tables(conn) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


def organisation(conn):
    """A sub-district, community and compound with a building and its three parties; a
    secretary, a property fitter and a resident at home there (revision e3019d9b3b89)."""
    at = moment(conn)
    insert(conn, "sub_district", id=1, code="sd", name="Harbour sub-district")
    insert(conn, "community", id=1, code="cm", name="Lakeside community", sub_district_id=1)
    insert(conn, "compound", id=1, code="ymn", name="Plum Garden", community_id=1)
    insert(conn, "building", id=1, compound_id=1, code="2", name="Building 2", sort_key="0002")
    for id_, kind in enumerate(("branch", "property", "residents"), start=1):
        insert(conn, "party", id=id_, compound_id=1, kind=kind, name=f"Plum Garden {kind}")
    for id_, name, phone, role in (
        (1, "李书记", "13900000001", "secretary"),
        (2, "孙师傅", "13900000002", "property_staff"),
        (3, "王阿姨", "13900000003", None),
    ):
        insert(
            conn,
            "person",
            id=id_,
            name=name,
            phone=phone,
            password_hash="pbkdf2:sha256:1000$salt$hash",
            locale="zh_CN",
            active=True,
            created_at=at,
        )
        if role:
            insert(
                conn, "membership", id=id_, person_id=id_, role=role, compound_id=1, created_at=at
            )
    insert(
        conn,
        "home",
        id=1,
        person_id=3,
        compound_id=1,
        building_id=1,
        room="2-301",
        state="verified",
        decided_by_id=1,
        decided_at=at,
        created_at=at,
    )


def cases(conn):
    """A case the resident filed, still new, and one in progress with the fitter, with their
    events, a photo, the day's counter and a routing rule (revision 13caf13720bd)."""
    at, later = moment(conn), moment(conn, hour=3)
    for id_, state, assignee, accepted in ((1, "filed", None, None), (2, "in_progress", 2, later)):
        insert(
            conn,
            "case",
            id=id_,
            number=f"ymn-20260302-000{id_}",
            compound_id=1,
            building_id=1,
            category="repair",
            description="楼道灯坏了",
            location="2单元",
            urgent=False,
            contact_name="王阿姨",
            contact_phone="13900000003",
            reporter_id=3,
            filed_by_id=3,
            on_behalf=False,
            state=state,
            priority="normal",
            lead_party="property" if assignee else None,
            needs_consultation=False,
            assignee_id=assignee,
            created_at=at,
            updated_at=accepted or at,
            accepted_at=accepted,
            due_at=later,
            version=3 if assignee else 1,
        )
        insert(
            conn,
            "case_event",
            id=id_,
            case_id=id_,
            at=at,
            actor_id=3,
            actor_role="reporter",
            action="file",
            public=True,
            to_state="filed",
            data='{"on_behalf": false}',
        )
    insert(conn, "case_counter", compound_id=1, day="2026-03-02", last=2)
    insert(
        conn,
        "photo",
        id=1,
        case_id=1,
        event_id=1,
        path="1/photo.jpg",
        thumb_path="1/photo-thumb.jpg",
        width=640,
        height=480,
        size=12345,
        uploaded_by_id=3,
        created_at=at,
    )
    insert(
        conn,
        "category_rule",
        id=1,
        community_id=1,
        category="repair",
        lead_party="branch",
        needs_consultation=False,
        resolution_days=5,
        updated_by_id=1,
        updated_at=at,
    )


def consultations(conn):
    """A consultation on the in-progress case, with everything it holds, and a notice
    (revision 53cc2678d302). That case was escalated to the community before."""
    at = moment(conn, hour=4)
    conn.execute(
        text('UPDATE "case" SET escalation_level = 1, escalated_at = :at WHERE id = 2'), {"at": at}
    )
    insert(
        conn,
        "consultation",
        id=1,
        compound_id=1,
        title="楼道照明",
        mode="in_person",
        state="open",
        starts_at=at,
        place="党群服务站",
        convened_by_id=1,
        created_at=at,
        version=1,
    )
    insert(conn, "invitation", id=1, consultation_id=1, person_id=1, party="branch")
    insert(
        conn,
        "attendance",
        id=1,
        consultation_id=1,
        party="branch",
        present=True,
        attendees="李书记",
        recorded_by_id=1,
        recorded_at=at,
    )
    insert(conn, "agenda_item", id=1, consultation_id=1, case_id=2, position=1)
    insert(
        conn, "opinion", id=1, item_id=1, party="branch", author_id=1, body="同意", created_at=at
    )
    insert(
        conn,
        "resolution",
        id=1,
        item_id=1,
        text="物业更换灯具",
        state="signing",
        drafted_by_id=1,
        created_at=at,
        signed_count=1,
        version=1,
    )
    insert(
        conn,
        "action_item",
        id=1,
        resolution_id=1,
        case_id=2,
        party="property",
        assignee_id=2,
        description="更换灯具",
        due_on="2026-03-09",
    )
    insert(
        conn,
        "signature",
        id=1,
        resolution_id=1,
        party="branch",
        signer_id=1,
        decision="sign",
        at=at,
    )
    insert(
        conn,
        "notice",
        id=1,
        compound_id=1,
        title="协商公告",
        body="楼道照明将于下周更换。",
        posted_by_id=1,
        posted_at=at,
    )


# -- the testers ---------------------------------------------------------------------------


class UpgradeTester:
    """Rows written at the revision before `revision`, read again once upgraded to it."""

    revision: str

    def load_data(self, conn):
        raise NotImplementedError

    def check_upgrade(self, conn):
        raise NotImplementedError

    def keep(self, conn):
        """What the database held before the upgrade (called by the test after load_data)."""
        self.before = {table: rows(conn, table) for table in tables(conn)}

    def assert_kept(self, conn):
        """Every row written before is still there, every old column with the same value."""
        for table, old_rows in self.before.items():
            old_columns = list(old_rows[0]) if old_rows else []
            assert [{c: r[c] for c in old_columns} for r in rows(conn, table)] == old_rows, table

    def new_tables(self, conn) -> set[str]:
        return tables(conn) - set(self.before)


class CasesArrive(UpgradeTester):
    revision = "13caf13720bd"

    def load_data(self, conn):
        organisation(conn)

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {
            "case",
            "case_counter",
            "case_event",
            "category_rule",
            "photo",
        }
        assert all(rows(conn, t) == [] for t in self.new_tables(conn))


class ConsultationsAndEscalation(UpgradeTester):
    revision = "53cc2678d302"

    def load_data(self, conn):
        organisation(conn)
        cases(conn)

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        # The cases filed before start at the compound: not escalated.
        assert [
            (c["id"], c["escalation_level"], c["escalated_at"]) for c in rows(conn, "case")
        ] == [
            (1, 0, None),
            (2, 0, None),
        ]
        assert all(rows(conn, t) == [] for t in self.new_tables(conn))


class FeedbackAndNotifications(UpgradeTester):
    revision = "da658a649f98"

    def load_data(self, conn):
        organisation(conn)
        cases(conn)
        consultations(conn)

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        added = ("feedback_due_at", "closed_at", "closure", "reopen_count", "reminded_for")
        assert [tuple(c[k] for k in ("id", *added)) for c in rows(conn, "case")] == [
            (1, None, None, None, 0, None),
            (2, None, None, None, 0, None),
        ]
        assert [p["email"] for p in rows(conn, "person")] == [None, None, None]
        assert self.new_tables(conn) == {"feedback", "notification", "outbox_message"}
        assert all(rows(conn, t) == [] for t in self.new_tables(conn))


class ApiKeysAndCoordinates(UpgradeTester):
    revision = "1e325e52a5aa"
    load_data = FeedbackAndNotifications.load_data  # every table there is, with rows

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        # Compounds imported before have no coordinates: the API leaves lat/long out.
        assert [(c["latitude"], c["longitude"]) for c in rows(conn, "compound")] == [(None, None)]
        assert self.new_tables(conn) == {"api_key"}
        assert rows(conn, "api_key") == []


class IndexesThatMatchTheLookUps(UpgradeTester):
    revision = "84110a83bb92"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == set()
        indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("case")}
        assert indexes["ix_case_compound_state_due"] == ["compound_id", "state", "due_at", "id"]
        assert indexes["ix_case_assignee_state_due"] == ["assignee_id", "state", "due_at", "id"]
        assert indexes["ix_case_merged_into_id"] == ["merged_into_id"]
        assert {"ix_case_state_due", "ix_case_assignee_id"}.isdisjoint(indexes)


class EscalationLookUpsInOneIndex(UpgradeTester):
    revision = "8f5d6468a2b6"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == set()
        indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("case")}
        assert indexes["ix_case_state_level_due_escalated"] == [
            "state",
            "escalation_level",
            "due_at",
            "escalated_at",
        ]
        assert {"ix_case_state_level_due", "ix_case_state_level_escalated"}.isdisjoint(indexes)


class SignInsAndThrottle(UpgradeTester):
    revision = "8709bcbfd2e1"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"sign_in", "throttle"}
        assert all(rows(conn, t) == [] for t in self.new_tables(conn))
        sign_in = {c["name"] for c in inspect(conn).get_columns("sign_in")}
        assert {"token_hash", "person_id", "expires_at", "ended_at"} <= sign_in


class PhoneCodesChannelsAndRetention(UpgradeTester):
    revision = "0ca09f95cbe5"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"phone_code"}
        assert rows(conn, "phone_code") == []
        # Everyone is told on every channel as before; no case is kept or anonymised.
        assert {
            (bool(p["notify_by_text"]), bool(p["notify_by_email"])) for p in rows(conn, "person")
        } == {(True, True)}
        assert [(bool(c["retained"]), c["anonymised_at"]) for c in rows(conn, "case")] == [
            (False, None),
            (False, None),
        ]


class PendingPhotos(UpgradeTester):
    revision = "fbde3a25bfec"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"pending_photo"}
        assert rows(conn, "pending_photo") == []
        indexes = {i["name"] for i in inspect(conn).get_indexes("pending_photo")}
        assert "ix_pending_photo_created_at" in indexes


class WorkingCalendarAndResponse(UpgradeTester):
    revision = "444d6caa6b9a"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"calendar_year", "calendar_day", "calendar_warning"}
        assert all(rows(conn, t) == [] for t in self.new_tables(conn))
        # Existing deadlines stand as they were counted; nobody knows when they responded.
        assert [
            (bool(c["due_on_calendar_days"]), c["response_due_at"], c["responded_at"])
            for c in rows(conn, "case")
        ] == [(False, None, None), (False, None, None)]


class ResolutionSigningDeadline(UpgradeTester):
    revision = "5ce7aec7ef45"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == set()
        # A resolution drafted before keeps no deadline: it never lapses by itself.
        assert [r["sign_by"] for r in rows(conn, "resolution")] == [None] * len(
            rows(conn, "resolution")
        )
        assert rows(conn, "resolution"), "the fixture has a resolution to carry over"


class AcknowledgingEscalatedCases(UpgradeTester):
    revision = "76d75e2fdd35"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == set()
        cases = rows(conn, "case")
        assert any(c["escalation_level"] for c in cases), "the fixture has an escalated case"
        # Escalated before: no 报到 deadline, so the sweep leaves it alone; nobody took charge.
        for column in ("acknowledge_due_at", "acknowledged_at", "acknowledged_by_id"):
            assert {c[column] for c in cases} == {None}, column
        indexes = {i["name"] for i in inspect(conn).get_indexes("case")}
        assert {"ix_case_acknowledge_due", "ix_case_escalated_oldest"} <= indexes


class ReplyTemplates(UpgradeTester):
    revision = "3f04e620b7b6"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"reply_template"}
        # One owner exactly: the database refuses a template of both or of neither.
        compound = rows(conn, "compound")[0]
        for owners in ((compound["id"], compound["community_id"]), (None, None)):
            with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
                conn.execute(
                    text(
                        "INSERT INTO reply_template (compound_id, community_id, title, body, "
                        "updated_at) VALUES (:compound, :community, 't', 'b', :at)"
                    ),
                    {"compound": owners[0], "community": owners[1], "at": "2026-12-06 00:00:00"},
                )


class Moderation(UpgradeTester):
    revision = "fefdbff79d69"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == set()
        # Nothing was hidden before.
        for table, prefix in (("case", "description_hidden"), ("case_event", "hidden")):
            found = rows(conn, table)
            assert found, table
            for column in ("at", "by_id", "reason"):
                assert {r[f"{prefix}_{column}"] for r in found} == {None}, (table, column)
        # Who hid it is a person: the foreign key holds on every database.
        keys = {fk["name"] for fk in inspect(conn).get_foreign_keys("photo")}
        assert "fk_photo_hidden_by_id_person" in keys or conn.dialect.name == "sqlite"
        referred = {
            fk["referred_table"]
            for fk in inspect(conn).get_foreign_keys("photo")
            if fk["constrained_columns"] == ["hidden_by_id"]
        }
        assert referred == {"person"}


class Supporters(UpgradeTester):
    revision = "4523d7d5a42b"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"supporter"}
        assert rows(conn, "supporter") == []


class CaseFacts(UpgradeTester):
    revision = "c0c9800cc144"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"case_fact"}
        # Empty until `flask portal facts-rebuild` works them out of the events.
        assert rows(conn, "case_fact") == []


class PropertyCompanies(UpgradeTester):
    revision = "3035bbd6a11b"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"property_company"}
        # Every compound there was stays, served by no company until the file names one.
        assert {r["property_company_id"] for r in rows(conn, "compound")} == {None}
        referred = {
            fk["referred_table"]
            for fk in inspect(conn).get_foreign_keys("compound")
            if fk["constrained_columns"] == ["property_company_id"]
        }
        assert referred == {"property_company"}


class OpenEscalatedCases(UpgradeTester):
    revision = "33944acbc804"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert "ix_case_open_escalated" in {i["name"] for i in inspect(conn).get_indexes("case")}


class RecurringProblems(UpgradeTester):
    revision = "1dde9d6ad58d"
    load_data = FeedbackAndNotifications.load_data

    def check_upgrade(self, conn):
        self.assert_kept(conn)
        assert self.new_tables(conn) == {"topic", "topic_case"}
        assert all(rows(conn, t) == [] for t in self.new_tables(conn))


TESTERS = {
    tester.revision: tester
    for tester in (
        CasesArrive,
        ConsultationsAndEscalation,
        FeedbackAndNotifications,
        ApiKeysAndCoordinates,
        IndexesThatMatchTheLookUps,
        EscalationLookUpsInOneIndex,
        SignInsAndThrottle,
        PhoneCodesChannelsAndRetention,
        PendingPhotos,
        WorkingCalendarAndResponse,
        ResolutionSigningDeadline,
        AcknowledgingEscalatedCases,
        ReplyTemplates,
        Moderation,
        Supporters,
        CaseFacts,
        PropertyCompanies,
        OpenEscalatedCases,
        RecurringProblems,
    )
}


# -- the tests -----------------------------------------------------------------------------


def test_every_revision_after_the_first_has_an_upgrade_tester():
    missing = [r for r in REVISIONS[1:] if r not in TESTERS]
    assert not missing, f"add an UpgradeTester to {__file__} for {missing}"
    assert set(TESTERS) <= set(REVISIONS[1:]), "a tester for a revision that does not exist"


@pytest.mark.parametrize("revision", REVISIONS[1:])
def test_upgrading_to_each_revision_keeps_the_rows_it_finds(database, revision):
    if revision not in TESTERS:
        pytest.fail(f"revision {revision} has no UpgradeTester")
    tester = TESTERS[revision]()
    app = create_app(app_settings(database.url))
    with app.app_context():
        upgrade(revision=SCRIPTS.get_revision(revision).down_revision)
        with db.engine.begin() as conn:
            tester.load_data(conn)
            tester.keep(conn)
        upgrade(revision=revision)
        with db.engine.connect() as conn:
            tester.check_upgrade(conn)
        db.engine.dispose()
