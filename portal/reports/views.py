"""The figures pages (/figures/…, DESIGN.md section 8): each level a person oversees, over a
period and beside the one before, one row per unit below; the cases behind every count; and
the definitions, in words, with the weights in force."""

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import labels
from portal.cases.categories import Category
from portal.clock import now
from portal.organisation import queries as org
from portal.organisation.models import Community, Compound, PartyKind, SubDistrict
from portal.permissions import guard, public, signed_in
from portal.recurring import queries as topics
from portal.reports import charts, definitions, drill, exports, formats, periods, queries
from portal.reports.definitions import total
from portal.reports.kept import kept
from portal.web import page_or_fragment

bp = Blueprint("reports", __name__, url_prefix="/figures")

LEVELS = {"sub-district": "sub_district", "community": "community", "compound": "compound"}
LEVEL_OF = {SubDistrict: "sub-district", Community: "community", Compound: "compound"}
# What the rows of a unit's table are: in its caption, and over their names.
BELOW = {
    SubDistrict: (_l("community"), _l("Community")),
    Community: (_l("compound"), _l("Compound")),
    Compound: (_l("category"), _l("Category")),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BELOW_PLURAL = {SubDistrict: _l("communities"), Community: _l("compounds")}
PERIOD_KINDS = {"month": _l("Months"), "quarter": _l("Quarters"), "year": _l("Years")}
# The columns of a figures table, in order: (kind, key); kind says how a cell is drawn.
COLUMNS = [
    ("count", "filed"),
    ("count", "closed"),
    ("count", "visited"),
    ("rate", "response_rate"),
    ("rate", "resolution_rate"),
    ("rate", "satisfaction_rate"),
    ("composite", "composite"),
    ("count", "not_solved"),
    ("count", "no_feedback"),
    ("rate", "on_time_rate"),
    ("rate", "reopen_rate"),
    ("median", "triage_time"),
    ("p90", "triage_time"),
    ("median", "resolve_time"),
    ("p90", "resolve_time"),
    ("other", "overdue"),
    ("other", "consultations"),
    ("other", "resolutions"),
    ("other", "actions_on_time"),
]


def unit_or_404(level: str, code: str):
    """The unit the address names, if the signed-in person may see its figures."""
    unit = org.scope_by_code(LEVELS.get(level, ""), code)
    if unit is None or not queries.may_see(current_user, unit):
        abort(404)
    return unit


def _period():
    """The period the address names, or this month and a message saying why not."""
    period = periods.parse(
        request.args.get("period"), request.args.get("from"), request.args.get("to")
    )
    if period is None:
        message = _("That is not a period the figures can be counted over; here is this month.")
        return periods.this_month(), message
    return period, None


def value(figures, kind: str, key: str):
    """A cell's value, for sorting: None sorts last."""
    if kind in ("count", "other"):
        return figures.count(key)
    if kind == "rate":
        return figures.rate(key)
    if kind == "composite":
        return figures.composite()
    return figures.median(key) if kind == "median" else figures.p90(key)


def _units(unit):
    """The units one level below, each with its compounds; a compound's are its categories."""
    if isinstance(unit, SubDistrict):
        return [(c, c.compounds) for c in unit.communities]
    if isinstance(unit, Community):
        return [(c, [c]) for c in unit.compounds]
    return None


def _table(unit, period, overdue_now: bool = True):
    """The unit's total, one row per unit below it [(unit or category, Figures)], and each
    compound's figures {compound: Figures}; without "overdue now" for a period compared with."""
    compounds = queries.compounds_under(unit)
    ids = queries.compound_ids_of(unit)
    below = _units(unit)
    by_compound = queries.figures(ids, period, overdue_now=overdue_now)
    if below is None:
        by_category = queries.figures(ids, period, by="category", overdue_now=overdue_now)
        whole = total(by_category.values())
        # The consultations' counts are the compound's, not any category's.
        whole.other.update(by_compound[unit.id].other)
        rows = [(category, by_category[category]) for category in Category]
        return whole, rows, {unit: whole}
    rows = [(child, total(by_compound[c.id] for c in members)) for child, members in below]
    return total(f for _child, f in rows), rows, {c: by_compound[c.id] for c in compounds}


def _table_before(unit, previous):
    """`_table` of the period a page compares with: without "overdue now", and kept a while
    once that period has ended (reports.kept)."""
    return kept(
        ("table", type(unit).__name__, unit.id, previous.first, previous.last),
        previous.end,
        lambda: _table(unit, previous, overdue_now=False),
    )


# The most compounds the ranking chart draws; the table below the chart has them all.
RANKED = 30


def _charts(unit, period, rows, by_compound) -> dict:
    """The unit's three rates month by month over the last 12 months, its cases filed by
    category, and its compounds ranked by composite score (a community's and a sub-district's)."""
    ids = queries.compound_ids_of(unit)
    months = periods.last_months(period)
    # The months that have ended are kept a while; the running one is counted each time.
    ended = [m for m in months if m.end <= now()]
    trend = kept(
        ("months", type(unit).__name__, unit.id, *(m.first for m in ended)),
        ended[-1].end if ended else now(),
        lambda: queries.monthly(ids, ended),
    ) + queries.monthly(ids, months[len(ended) :])
    rates = [
        (key, definitions.RATE[key].label, [f.rate(key) for f in trend])
        for key in definitions.THREE_RATES
    ]
    if isinstance(unit, Compound):
        filed = {category: f.count("filed") for category, f in rows}
    else:
        filed = queries.filed_by_category(ids, period)
    categories = sorted(
        ((labels.label(c), n, str(n)) for c, n in filed.items() if n),
        key=lambda item: -item[1],
    )
    scored = [(c.name, f.composite()) for c, f in by_compound.items()]
    ranked = sorted(((n, s) for n, s in scored if s is not None), key=lambda item: -item[1])
    return {
        "months": [f"{m.first:%Y-%m}" for m in months],
        "rates": rates,
        "categories": categories,
        "ranked": None
        if isinstance(unit, Compound)
        else [(name, score, formats.score(score)) for name, score in ranked],
        "ranked_limit": RANKED,
    }


@bp.route("/")
@guard(signed_in)
def index():
    units = queries.own_units(current_user)
    if not units:
        abort(404)
    if len(units) == 1:
        only = units[0]
        return redirect(url_for(".unit", level=LEVEL_OF[type(only)], code=only.code))
    return render_template("reports/index.html", units=units, level_of=LEVEL_OF)


@bp.route("/<level>/<code>")
@guard(signed_in)
def unit(level: str, code: str):
    unit = unit_or_404(level, code)
    period, period_error = _period()
    previous = period.previous()
    whole, rows, by_compound = _table(unit, period)
    before, rows_before, _compounds = _table_before(unit, previous)
    before_of = {getattr(k, "id", k): f for k, f in rows_before}
    sort = request.args.get("sort", "")
    columns = {f"{kind}:{key}": (kind, key) for kind, key in COLUMNS}
    if sort in columns or sort == "name":
        descending = request.args.get("dir") == "desc"
        if sort == "name":
            rows.sort(key=lambda r: str(_name(r[0])), reverse=descending)
        else:
            kind, key = columns[sort]
            present = [r for r in rows if value(r[1], kind, key) is not None]
            absent = [r for r in rows if value(r[1], kind, key) is None]
            present.sort(key=lambda r: value(r[1], kind, key), reverse=descending)
            rows = present + absent
    return page_or_fragment(
        "reports/unit.html",
        "reports/_table.html",
        target="figures",
        status=400 if period_error else 200,
        period_error=period_error,
        unit=unit,
        level=level,
        period=period,
        previous=previous,
        whole=whole,
        before=before,
        rows=[(k, f, before_of.get(getattr(k, "id", k))) for k, f in rows],
        columns=COLUMNS,
        sort=sort,
        descending=request.args.get("dir") == "desc",
        choices=periods.choices(),
        parents=[p for p in _parents(unit) if queries.may_see(current_user, p)],
        child_level=_child_level(unit),
        below_name=BELOW[type(unit)][0],
        below_heading=BELOW[type(unit)][1],
        level_of=LEVEL_OF,
        period_kinds=PERIOD_KINDS,
        definitions=definitions,
        fmt=formats,
        charts=charts,
        drawn=_charts(unit, period, rows, by_compound),
    )


def _name(thing):
    return labels.label(thing) if isinstance(thing, Category) else thing.name


def _parents(unit) -> list:
    if isinstance(unit, Compound):
        return [unit.community.sub_district, unit.community]
    if isinstance(unit, Community):
        return [unit.sub_district]
    return []


def _child_level(unit) -> str | None:
    return {SubDistrict: "community", Community: "compound"}.get(type(unit))


# What narrows a drill-down list besides its figure and period, kept from page to page.
DRILL_ARGS = ("compound", "company", "category", "lead")


def _compound_asked(unit):
    """The compound of the unit a drill-down names (`compound=`), or None; 404 for another's."""
    code = request.args.get("compound")
    if not code:
        return None
    found = next((c for c in queries.compounds_under(unit) if c.code == code), None)
    if found is None:
        abort(404)
    return found


def _drilled(unit):
    """The compounds, the category and the lead party (each None for any) a drill-down's
    address narrows the unit to: `compound=`, `company=` (those it serves), `category=`,
    `lead=`."""
    compound = _compound_asked(unit)
    under = [compound] if compound else queries.compounds_under(unit)
    if company := request.args.get("company"):
        serving = queries.company_by_code(company)
        under = [c for c in under if serving and c.property_company_id == serving.id]
    asked, lead = request.args.get("category"), request.args.get("lead")
    return (
        [c.id for c in under],
        Category(asked) if asked in set(Category) else None,
        PartyKind(lead) if lead in set(PartyKind) else None,
    )


@bp.route("/<level>/<code>/cases")
@guard(signed_in)
def cases(level: str, code: str):
    """The cases behind one figure of a unit over a period: as many as the figure counts."""
    unit = unit_or_404(level, code)
    period, period_error = _period()
    figure = request.args.get("figure", "")
    if figure not in drill.FIGURES:
        abort(404)
    compound = _compound_asked(unit)
    ids, category, lead = _drilled(unit)
    total_count, page, after = drill.cases(
        ids, period, figure, category, request.args.get("after"), lead
    )
    args = {**period.args, "figure": figure}
    args.update({k: request.args[k] for k in DRILL_ARGS if request.args.get(k)})
    return page_or_fragment(
        "reports/cases.html",
        "reports/_cases.html",
        target="figure-cases",
        status=400 if period_error else 200,
        period_error=period_error,
        unit=unit,
        level=level,
        period=period,
        figure=figure,
        figure_label=drill.label(figure),
        category=category,
        compound=compound,
        total=total_count,
        cases=page,
        args=args,
        next_url=url_for(".cases", level=level, code=unit.code, after=after, **args)
        if after
        else None,
    )


def _reading(method: str, key: str | None = None, at: int = 1):
    """What an export's column reads of a row (names…, Figures at `at`): one of the Figures'
    methods."""

    def read(row):
        found = getattr(row[at], method)
        return found(key) if key is not None else found()

    return read


def _figure_columns(unit) -> list[exports.Column]:
    """The columns of a figures table's export: every count, rate and time of the definitions."""
    d = definitions
    columns = [exports.Column(BELOW[type(unit)][1], lambda row: row[0], width=20)]
    columns += [exports.Column(c.label, _reading("count", c.key), "int", 10) for c in d.COUNTS]
    columns += [exports.Column(o.label, _reading("count", o.key), "int", 10) for o in d.OTHERS]
    columns += [exports.Column(r.label, _reading("rate", r.key), "percent", 10) for r in d.RATES]
    columns.append(exports.Column(_l("Composite score"), _reading("composite"), "decimal"))
    for t in d.DURATIONS:
        columns += [
            exports.Column(_time_heading(t.key, "median"), _reading("median", t.key), "decimal"),
            exports.Column(_time_heading(t.key, "p90"), _reading("p90", t.key), "decimal"),
        ]
    return columns


def _time_heading(key: str, which: str) -> str:
    """An exported time column's heading, with its unit: "Time to resolve, median (days)"."""
    duration = definitions.DURATION[key]
    unit_name = _("hours") if duration.unit_seconds == 3600 else _("days")
    if which == "median":
        return _("%(figure)s, median (%(unit)s)", figure=duration.label, unit=unit_name)
    return _("%(figure)s, 90th percentile (%(unit)s)", figure=duration.label, unit=unit_name)


def _send(kind: str, name: str, title: str, columns, rows) -> Response:
    """The rows as a CSV or XLSX download, streamed."""
    if kind == "csv":
        body = exports.csv_lines(columns, rows)
        mimetype = "text/csv; charset=utf-8"
    else:
        body = exports.chunks(exports.xlsx_file(title, columns, rows))
        mimetype = XLSX
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def _period_name(period) -> str:
    return period.code or f"{period.first:%Y%m%d}-{period.last:%Y%m%d}"


@bp.route("/<level>/<code>/figures.<any(csv, xlsx):kind>")
@guard(signed_in)
def export_figures(level: str, code: str, kind: str):
    """A unit's figures table over a period: its total, then a row per unit below."""
    unit = unit_or_404(level, code)
    period, period_error = _period()
    if period_error:
        abort(400)
    whole, rows, _compounds = _table(unit, period)
    named = [(_("All of %(unit)s", unit=unit.name), whole)]
    named += [(_name(thing), figures) for thing, figures in rows]
    return _send(
        kind,
        f"figures-{unit.code}-{_period_name(period)}",
        _("Figures"),
        _figure_columns(unit),
        named,
    )


@bp.route("/<level>/<code>/cases.<any(csv, xlsx):kind>")
@guard(signed_in)
def export_cases(level: str, code: str, kind: str):
    """The cases behind one figure, every one of them, a row each."""
    unit = unit_or_404(level, code)
    period, period_error = _period()
    figure = request.args.get("figure", "")
    if period_error:
        abort(400)
    if figure not in drill.FIGURES:
        abort(404)
    compound_ids, category, lead = _drilled(unit)
    rows = drill.export_rows(compound_ids, period, figure, category, lead)
    return _send(
        kind,
        f"cases-{unit.code}-{figure}-{_period_name(period)}",
        _("Cases"),
        exports.CASE_COLUMNS,
        rows,
    )


# What a printed report lists, in order.
REPORT_LINES = [
    ("rate", "response_rate"),
    ("rate", "resolution_rate"),
    ("rate", "satisfaction_rate"),
    ("composite", "composite"),
    ("count", "filed"),
    ("count", "closed"),
    ("count", "visited"),
    ("count", "solved"),
    ("count", "not_solved"),
    ("count", "no_feedback"),
    ("rate", "on_time_rate"),
    ("rate", "reopen_rate"),
    ("median", "triage_time"),
    ("median", "resolve_time"),
    ("other", "overdue"),
    ("other", "consultations"),
    ("other", "resolutions"),
    ("other", "actions_on_time"),
]
WORST_COLUMNS = [
    ("composite", "composite"),
    ("rate", "response_rate"),
    ("rate", "resolution_rate"),
    ("rate", "satisfaction_rate"),
    ("count", "not_solved"),
    ("count", "no_feedback"),
    ("other", "overdue"),
]
WORST = 5


def _label(kind: str, key: str) -> str:
    if kind == "composite":
        return _("Composite score")
    if kind == "rate":
        return definitions.RATE[key].label
    if kind == "count":
        return definitions.COUNT[key].label
    if kind == "other":
        return definitions.OTHER[key].label
    return _("%(figure)s, median", figure=definitions.DURATION[key].label)


def _worst(unit, rows) -> list:
    """The units below that did worst: the lowest composite scores; in a compound, the
    categories with the most cases closed not solved or without feedback."""
    if isinstance(unit, Compound):
        failing = [(t, f) for t, f in rows if f.count("not_solved") + f.count("no_feedback")]
        failing.sort(key=lambda r: -(r[1].count("not_solved") + r[1].count("no_feedback")))
        chosen = failing[:WORST]
    else:
        scored = [(t, f) for t, f in rows if f.composite() is not None]
        chosen = sorted(scored, key=lambda r: r[1].composite())[:WORST]
    return [
        (_name(thing), [formats.text(f, kind, key) for kind, key in WORST_COLUMNS])
        for thing, f in chosen
    ]


@bp.route("/<level>/<code>/report")
@guard(signed_in)
def report(level: str, code: str):
    """The figures of a unit for a period, printable on A4: this month's by default, beside
    the month before, and the units below that did worst."""
    unit = unit_or_404(level, code)
    period, period_error = _period()
    if period_error:
        abort(400)
    previous = period.previous()
    whole, rows, _compounds = _table(unit, period)
    before, _rows, _compounds = _table_before(unit, previous)
    lines = [
        (
            f"{kind}:{key}",
            _label(kind, key),
            formats.text(whole, kind, key),
            "" if key == "overdue" else formats.text(before, kind, key),
            formats.difference(whole, before, kind, key),
        )
        for kind, key in REPORT_LINES
    ]
    worst_heading = (
        _("The categories with most cases not solved or without feedback")
        if isinstance(unit, Compound)
        else _("The %(below)s with the lowest composite scores", below=BELOW_PLURAL[type(unit)])
    )
    return render_template(
        "reports/report.html",
        unit=unit,
        period=period,
        previous=previous,
        lines=lines,
        worst=_worst(unit, rows),
        worst_heading=worst_heading,
        worst_columns=[_label(kind, key) for kind, key in WORST_COLUMNS],
        below_heading=BELOW[type(unit)][1],
        min_denominator=definitions.MIN_DENOMINATOR,
        definitions_address=url_for(".definitions_page", _external=True),
        printed_at=now(),
        topics=_topics(unit, period),
    )


def _topics(unit, period):
    """The recurring problems of the unit raised in the period or still open in it."""
    if isinstance(unit, Compound):
        return topics.raised_in(period, compound_ids=[unit.id])
    communities = [unit] if isinstance(unit, Community) else unit.communities
    return topics.raised_in(period, community_ids=[c.id for c in communities])


# The ledger's columns: the property party's timeliness, reopenings and satisfaction.
LEDGER_COLUMNS = [
    ("count", "filed"),
    ("count", "closed"),
    ("rate", "on_time_rate"),
    ("median", "resolve_time"),
    ("rate", "reopen_rate"),
    ("rate", "satisfaction_rate"),
    ("rate", "no_feedback_share"),
    ("other", "overdue"),
]


def _overseen_or_404(level: str, code: str):
    """A community or sub-district whose figures the person sees (a ledger's unit)."""
    unit = unit_or_404(level, code)
    if isinstance(unit, Compound):
        abort(404)
    return unit


def _ranked_ledger(unit, period):
    """The ledger, best satisfaction rate first (too few return visits last), each company's
    compounds likewise."""

    def rank(figures):
        rate = figures.rate("satisfaction_rate")
        return (rate is None, -(rate or 0))

    rows = queries.ledger(queries.compounds_under(unit), period)
    return sorted(
        ((c, f, sorted(mine, key=lambda m: rank(m[1]))) for c, f, mine in rows),
        key=lambda r: (rank(r[1]), r[0].name),
    )


@bp.route("/property-companies")
@guard(signed_in)
def ledger_index():
    """The way in to the ledger: the person's own community or sub-district."""
    units = [u for u in queries.own_units(current_user) if not isinstance(u, Compound)]
    if not units:
        abort(404)
    first = units[0]
    return redirect(url_for(".ledger", level=LEVEL_OF[type(first)], code=first.code))


@bp.route("/<level>/<code>/property-companies")
@guard(signed_in)
def ledger(level: str, code: str):
    """The property company ledger of a community or sub-district over a period."""
    unit = _overseen_or_404(level, code)
    period, period_error = _period()
    return render_template(
        "reports/ledger.html",
        unit=unit,
        level=level,
        period=period,
        period_error=period_error,
        rows=_ranked_ledger(unit, period),
        columns=LEDGER_COLUMNS,
        choices=periods.choices(),
        period_kinds=PERIOD_KINDS,
        definitions=definitions,
        fmt=formats,
    ), (400 if period_error else 200)


@bp.route("/<level>/<code>/property-companies.<any(csv, xlsx):kind>")
@guard(signed_in)
def export_ledger(level: str, code: str, kind: str):
    unit = _overseen_or_404(level, code)
    period, period_error = _period()
    if period_error:
        abort(400)
    named = []
    for company, whole, mine in _ranked_ledger(unit, period):
        named.append((company.name, "", whole))
        named += [(company.name, compound.name, figures) for compound, figures in mine]
    columns = [
        exports.Column(_l("Property company"), lambda row: row[0], width=16),
        exports.Column(_l("Compound"), lambda row: row[1], width=16),
    ]
    for kind_, key in LEDGER_COLUMNS:
        columns.append(
            exports.Column(
                _time_heading(key, kind_) if kind_ == "median" else _label(kind_, key),
                _reading(kind_ if kind_ != "other" else "count", key, at=2),
                "percent" if kind_ == "rate" else "decimal" if kind_ == "median" else "int",
                12,
            )
        )
    return _send(
        kind,
        f"property-companies-{unit.code}-{_period_name(period)}",
        _("Property companies"),
        columns,
        named,
    )


@bp.route("/definitions")
@public
def definitions_page():
    return render_template(
        "reports/definitions.html",
        definitions=definitions,
        basically=formats.weight(definitions.basically_weight()),
        weights=[formats.weight(w) for w in definitions.composite_weights()],
    )
