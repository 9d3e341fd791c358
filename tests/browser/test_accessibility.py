"""axe-core, the accessibility engine, on the main page of every role and on the filing form
with errors, in Chinese and in English: no serious or critical violation anywhere."""

import json
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from portal.accounts.roles import Role
from portal.cases.workflow import State
from tests import factories
from tests.browser.conftest import AXE_FILES

# What axe reports as "serious" or "critical" blocks people; "moderate" and "minor" are
# reported by axe as best practice and left to judgement.
BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document);
  return {passed: result.passes.length, violations: result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ") + " :: " + n.failureSummary),
  }))};
}"""


def with_axe(page):
    """axe loaded into every page the tab opens, before the page's own scripts (an init script
    is not held to the page's Content-Security-Policy, which refuses injected script tags)."""
    page.context.add_init_script(path=str(AXE_FILES[-1]))
    return page


def violations(page) -> list[dict]:
    result = page.evaluate(RUN_AXE)
    # axe really looked: a page of ours passes dozens of its rules (labels, contrast, names…).
    assert result["passed"] >= 15, result
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


LANGUAGES = {"zh-CN": "zh_CN", "en-US": "en"}


@pytest.fixture(params=list(LANGUAGES))
def locale(request):
    """The browser's language (a visitor's) and each person's chosen language."""
    return request.param


@pytest.fixture
def people(live_server, world, locale):
    """One person in each role, speaking the language of the test, and a case in Plum Garden
    that the staff are working on."""
    with live_server.app.app_context():
        from portal.organisation import queries

        ymn = queries.compound_by_code("ymn")
        made = SimpleNamespace(ymn=ymn, community=ymn.community, sub=ymn.community.sub_district)
        team = factories.cast(
            made,
            "reporter secretary manager staff representative grid overseer street",
            locale=LANGUAGES[locale],
        )
        admin = factories.member(Role.ADMIN, None, name="Admin", locale=LANGUAGES[locale])
        case = factories.case(
            made,
            State.IN_PROGRESS,
            by=team.reporter,
            secretary=team.secretary,
            assignee=team.staff,
        )
        everyone = {name: getattr(team, name) for name in vars(team)}
        everyone["admin"] = admin
        return SimpleNamespace(
            case=case.number,
            roles={n: SimpleNamespace(name=p.name, phone=p.phone) for n, p in everyone.items()},
        )


def check(page, where: str, found: list) -> None:
    for violation in violations(page):
        found.append(f"{where}: {json.dumps(violation, ensure_ascii=False)}")


def sign_in(page, someone):
    page.goto("/login")
    page.locator("input[name=phone]").fill(someone.phone)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def test_no_serious_violation_on_any_roles_main_page(new_page, people, locale):
    found: list[str] = []
    visitor = with_axe(new_page(locale=locale))
    visitor.goto("/c/ymn/report")
    expect(visitor.locator("html")).to_have_attribute(
        "lang", {"zh-CN": "zh-CN", "en-US": "en"}[locale]
    )
    check(visitor, "the filing form", found)
    visitor.locator("form.report-form button[type=submit]").last.click()
    expect(visitor.locator("#error-summary")).to_be_visible()
    check(visitor, "the filing form with errors found by its script", found)
    # The same errors found by the server, as a phone without JavaScript gets them.
    visitor.evaluate(
        "document.querySelectorAll('[data-required]')"
        ".forEach(e => e.removeAttribute('data-required'))"
    )
    visitor.locator("form.report-form button[type=submit]").last.click()
    expect(visitor).to_have_title(re.compile("^(错误|Error)"))
    check(visitor, "the filing form with errors found by the server", found)

    for role, someone in people.roles.items():
        page = with_axe(new_page(locale=locale))
        sign_in(page, someone)
        expect(page).not_to_have_url(re.compile("/login"))
        expect(page.locator("main h1").first).to_be_visible()
        check(page, f"{role}'s page {page.url}", found)
        if role in ("secretary", "staff", "reporter"):
            page.goto(f"/cases/{people.case}")
            expect(page.locator("main h1").first).to_be_visible()
            check(page, f"{role}'s case page {page.url}", found)
    assert found == [], "\n".join(found)
