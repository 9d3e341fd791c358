"""`flask portal …`: the administrators' commands."""

import functools
import sys

import click
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _

from portal.csvimport import ImportRejected


def _localised(command):
    """Adds --lang and runs the command in that language (default: the portal's default)."""

    @click.option(
        "--lang",
        type=click.Choice(["zh_CN", "en"]),
        default=None,
        help="Language of the command's messages.",
    )
    @functools.wraps(command)
    def wrapped(*args, lang=None, **kwargs):
        if lang is None:
            return command(*args, **kwargs)
        with force_locale(lang):
            return command(*args, **kwargs)

    return wrapped


@click.group("portal")
def portal_cli():
    """Neighbourhood case portal administration."""


def _report(changes):
    click.echo(_("Done: %(created)d created, %(updated)d updated.", **changes))


def _rejected(error: ImportRejected):
    click.echo(_("Nothing was changed. Fix these lines and run the import again:"), err=True)
    for line, message in error.problems:
        click.echo(_("line %(line)d: %(message)s", line=line, message=str(message)), err=True)
    sys.exit(1)


@portal_cli.command("import-org")
@click.argument("file", type=click.File("rb"))
@with_appcontext
@_localised
def import_org_command(file):
    """Import sub-districts, communities, compounds and buildings (one row per building)."""
    from portal.organisation.importing import import_org

    try:
        _report(import_org(file.read()))
    except ImportRejected as error:
        _rejected(error)


@portal_cli.command("import-people")
@click.argument("file", type=click.File("rb"))
@with_appcontext
@_localised
def import_people_command(file):
    """Import people with their roles and scopes."""
    from portal.accounts.importing import import_people

    try:
        _report(import_people(file.read()))
    except ImportRejected as error:
        _rejected(error)


@portal_cli.command("create-admin")
@click.option("--name", prompt=True)
@click.option("--phone", prompt=True)
@click.password_option()
@with_appcontext
@_localised
def create_admin_command(name, phone, password):
    """Create an administrator, or make an existing person one."""
    from portal.accounts import service
    from portal.accounts.importing import PHONE

    name, phone = name.strip(), phone.strip()
    if not 1 <= len(name) <= 50:
        raise click.UsageError(_("Enter a name of at most 50 characters."))
    if not PHONE.match(phone):
        raise click.UsageError(_("Enter an 11-digit mobile number, e.g. 13812345678."))
    if service.find_by_phone(phone) is None and len(password) < 8:
        raise click.UsageError(_("Use at least 8 characters."))
    person = service.make_admin(name, phone, password)
    click.echo(_("%(name)s (%(phone)s) is an administrator.", name=person.name, phone=person.phone))


@portal_cli.command("demo")
@with_appcontext
@_localised
def demo_command():
    """Build the demo world (in Chinese) and print who can sign in as what."""
    from portal import demo

    created = demo.build()
    if not created:
        click.echo(_("The demo world is already here."))
    click.echo(demo.sign_in_table())


@portal_cli.command("recurring")
@with_appcontext
@_localised
def recurring_command():
    """Raise recurring problems (每月一题) from the cases of the last months; run nightly."""
    from portal.recurring.detect import detect

    counts = detect()
    click.echo(
        _(
            "Recurring problems: %(raised)d raised, %(added)d cases added to open ones.",
            raised=counts["topics_raised"],
            added=counts["topic_cases_added"],
        )
    )


@portal_cli.command("sweep")
@with_appcontext
@_localised
def sweep_command():
    """Reminders, escalations, "no feedback" closures, outbox delivery and (when set) the
    retention period's anonymisation; run every 5 minutes."""
    from portal.feedback.sweep import sweep

    counts = sweep()
    click.echo(
        _(
            "Reminded %(reminded)d, escalated %(escalated)d (again %(escalated_again)d), "
            "closed without feedback %(closed_without_feedback)d; delivered %(sent)d, "
            "to retry %(retried)d, given up %(dead)d.",
            **counts,
        )
    )
    if counts["calendar_missing"]:
        click.echo(_("Told the administrators that a year's working calendar is missing."))
    if "anonymised" in counts:
        click.echo(
            _(
                "Removed the reporter's details from %(anonymised)d finished cases.",
                anonymised=counts["anonymised"],
            )
        )


@portal_cli.command("facts-rebuild")
@with_appcontext
@_localised
def facts_rebuild_command():
    """Work every case's facts for the figures out of its events again (after an upgrade that
    added them, a restore, or a change of a definition)."""
    from portal.reports.facts import rebuild

    click.echo(_("Facts worked out again for %(count)d cases.", count=rebuild()))


@portal_cli.group("calendar")
def calendar_cli():
    """The working calendar that deadlines in days count on."""


@calendar_cli.command("import")
@click.argument("file", type=click.File("rb"))
@with_appcontext
@_localised
def calendar_import_command(file):
    """Import the holidays (休) and the days worked in exchange (班) the State Council
    publishes: a CSV file with the columns date, kind and name."""
    from portal.workdays.service import import_file

    try:
        counts = import_file(file.read())
    except ImportRejected as error:
        _rejected(error)
    click.echo(
        _(
            "Imported %(holidays)d holidays and %(workdays)d working days.",
            holidays=counts["holidays"],
            workdays=counts["workdays"],
        )
    )


@portal_cli.group("api-key")
def api_key_cli():
    """Keys of the client systems that use the Open311 API."""


@api_key_cli.command("create")
@click.option("--name", required=True, help="The client system, e.g. the 12345 hotline platform.")
@click.option(
    "--scope",
    "level",
    type=click.Choice(["compound", "community", "sub_district"]),
    required=True,
    help="What the key covers.",
)
@click.option("--code", required=True, help="The code of that compound, community or sub-district.")
@click.option("--read/--no-read", default=True, help="May read cases (default: yes).")
@click.option("--file/--no-file", "may_file", default=False, help="May file cases (default: no).")
@with_appcontext
@_localised
def api_key_create_command(name, level, code, read, may_file):
    """Issue a key and print it once; only its hash is kept."""
    from portal.open311 import keys
    from portal.organisation import queries as org

    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise click.UsageError(_("Name the system in at most 100 characters."))
    if not (read or may_file):
        raise click.UsageError(_("Give the key at least one right."))
    scope = org.scope_by_code(level, code)
    if scope is None:
        raise click.UsageError(_("No place with this code at this level."))
    key, plain = keys.issue(name, scope, may_read=read, may_file=may_file)
    click.echo(_("Key %(id)d for %(name)s (shown only this once):", id=key.id, name=key.name))
    click.echo(plain)


@api_key_cli.command("list")
@with_appcontext
@_localised
def api_key_list_command():
    """The keys, their scope and rights, and when each was last used."""
    from portal.open311 import keys

    for key in keys.everyone():
        rights = "+".join(r for r, has in (("read", key.may_read), ("file", key.may_file)) if has)
        used = key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "-"
        state = _("revoked") if key.revoked_at else _("active")
        click.echo(
            f"{key.id}\t{key.prefix}…\t{key.name}\t{key.scope.code}\t{rights}\t{used}\t{state}"
        )


@api_key_cli.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
@_localised
def api_key_revoke_command(key_id):
    """Revoke a key: every call with it is refused from now on."""
    from portal.open311 import keys

    key = keys.by_id(key_id)
    if key is None:
        raise click.UsageError(_("No key with this number."))
    keys.revoke(key)
    click.echo(_("The key of %(name)s no longer works.", name=key.name))


@portal_cli.command("city")
@click.option("--compounds", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--cases", type=click.IntRange(min=0), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
@with_appcontext
@_localised
def city_command(compounds, cases, seed):
    """Build a synthetic city for benchmarks, with a share of its cases in the demo world."""
    from portal import city
    from portal.errors import ServiceError

    with click.progressbar(length=cases, label=_("Building the city")) as bar:
        try:
            built = city.build(compounds, cases, seed, progress=bar.update)
        except ServiceError as error:
            raise click.UsageError(str(error.message)) from None
    rows = built["rows"]
    click.echo(
        _(
            "Built %(compounds)d compounds, %(people)d people, %(cases)d cases (%(demo)d of them "
            "in %(code)s), %(events)d events, %(feedback)d feedback, %(consultations)d "
            "consultations, %(photos)d photos in %(seconds)s s.",
            compounds=rows.get("compound", 0),
            people=rows.get("person", 0),
            cases=rows.get("case", 0),
            demo=built["demo_cases"],
            code=built["demo_compound"],
            events=rows.get("case_event", 0),
            feedback=rows.get("feedback", 0),
            consultations=rows.get("consultation", 0),
            photos=rows.get("photo", 0),
            seconds=f"{built['seconds']:.1f}",
        )
    )
