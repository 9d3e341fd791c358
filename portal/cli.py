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


@portal_cli.command("sweep")
@with_appcontext
@_localised
def sweep_command():
    """Reminders, escalations, "no feedback" closures and outbox delivery; run every 5 minutes."""
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
