"""A three-party consultation on phones, in Chinese, with JavaScript: the secretary convenes an
in-person meeting on two cases, the property manager and a representative give their party's
opinion, the secretary records attendance and a resolution with two action items, the three
parties sign it, the people who will do the work find it in "my cases", and a neighbour reads
the resolution on the compound's noticeboard."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

from playwright.sync_api import expect

from portal.accounts.roles import Role
from portal.clock import local_date
from tests import factories
from tests.browser.helpers import mark_the_window, sign_in

TITLE = "北门停车与外墙维修"
PLACE = "小区党群服务站"
CASES = [
    ("停车位不够，晚上车停到消防通道上，希望重新规划北门车位。", "parking"),
    ("外墙瓷砖脱落，想申请用维修资金修外墙。", "maintenance_fund"),
    ("物业费明年要涨，想先听听大家的意见。", "fees"),
]
PROPERTY_OPINION = "物业同意在北门划二十个临时车位，费用从公共收益支出。"
RESIDENTS_OPINION = "住户希望优先照顾老人和残疾人车位。"
RESOLUTION = "北门增设二十个临时车位，物业负责划线，居民代表负责征求住户意见。"
STAFF_TASK = "北门临时车位划线施工"
REP_TASK = "逐户征求北门住户意见"
LANDED = re.compile(r"/(desk/\w+|my)$")


def seed_cases(live_server, reporter, secretary, texts=CASES) -> list[str]:
    """Cases filed by `reporter` and accepted by the secretary as needing a consultation,
    through the services; returns their numbers."""
    with live_server.app.app_context():
        from portal.accounts.service import find_by_phone
        from portal.cases.categories import Category
        from portal.cases.workflow import State
        from portal.organisation import queries
        from portal.organisation.models import PartyKind

        compound = queries.compound_by_code("ymn")
        by, head = find_by_phone(reporter.phone), find_by_phone(secretary.phone)
        numbers = []
        for text, category in texts:
            case = factories.case(
                compound,
                State.ACCEPTED,
                by=by,
                secretary=head,
                building="1",
                category=Category(category),
                description=text,
                location="北门",
                lead_party=PartyKind.BRANCH,
                needs_consultation=True,
            )
            numbers.append(case.number)
        return numbers


def signed_in_page(new_page, someone):
    page = new_page()
    sign_in(page, someone)
    expect(page).to_have_url(LANDED)
    return page


def region(page):
    """The meeting page's changing region, which every form there swaps."""
    return page.locator("#consultation")


def said(page, text):
    """The region's own message after a swap (the page's flash from a full load is another)."""
    expect(region(page).get_by_role("status")).to_have_text(text)


def agenda_item(page, number):
    return (
        region(page)
        .locator("article.agenda-item")
        .filter(has=page.get_by_role("link", name=number, exact=True))
    )


def open_action(scope, summary):
    """Opens one of the page's <details> actions by its summary; returns the <details>."""
    details = scope.locator("details.action").filter(
        has=scope.page.locator("summary", has_text=re.compile(rf"^\s*{summary}\s*$"))
    )
    details.locator("summary").click()
    expect(details).to_have_attribute("open", "")
    return details


# -- the steps ----------------------------------------------------------------------------


def convene(page, agenda, left_out) -> str:
    """The secretary convenes an in-person meeting on `agenda`; returns the meeting's address."""
    page.goto("/c/ymn/consultations/new")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Plum Garden")
    page.get_by_label("标题").fill(TITLE)
    for number in agenda + left_out:
        # Nothing comes ticked; the secretary chooses tonight's two.
        box = page.locator("label.radio", has_text=number).get_by_role("checkbox")
        box.set_checked(number in agenda)
    page.get_by_role("radio", name="现场会议").check()
    starts = local_date() + timedelta(days=3)
    page.get_by_label("日期和时间（现场会议）").fill(f"{starts.isoformat()}T19:30")
    page.get_by_label("地点（现场会议）").fill(PLACE)
    page.get_by_role("main").get_by_role("button", name="召集").click()

    expect(page).to_have_url(re.compile(r"/consultations/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".flashes")).to_contain_text("三方协商已召集，已邀请三方参加。")
    expect(region(page)).to_contain_text(PLACE)
    expect(region(page).locator("article.agenda-item")).to_have_count(len(agenda))
    for number in left_out:
        expect(agenda_item(page, number)).to_have_count(0)
    expect(page.locator("#missing-parties")).to_have_text("尚未参加：党支部、物业和居民代表")
    return urlsplit(page.url).path


def give_opinion(page, meeting, number, party, party_name, text):
    page.goto(meeting)
    item = agenda_item(page, number)
    expect(item.locator(f".opinion-{party}")).to_contain_text("尚未发表意见")
    survived = mark_the_window(page)
    form = open_action(item, "代表本方发表意见").locator("form")
    expect(form.get_by_label("代表", exact=True).locator("option:checked")).to_have_text(party_name)
    form.get_by_label("意见", exact=True).fill(text)
    form.get_by_role("button", name="提交意见").click()

    said(page, "意见已记录。")
    expect(item.locator(f".opinion-{party}")).to_contain_text(text)
    assert survived(), "giving an opinion reloaded the whole page"


def record_attendance(page, rows):
    section = region(page).locator("section").filter(has=page.locator("#attendance-heading"))
    for party, party_name, names in rows:
        form = open_action(section, "记录出席情况").locator("form")
        form.get_by_label("参与方").select_option(label=party_name)
        form.get_by_label("参加", exact=True).check()
        form.get_by_label("出席人员").fill(names)
        form.get_by_role("button", name="记录", exact=True).click()
        said(page, "出席情况已记录。")
        expect(page.locator(f"#attendance-{party}")).to_contain_text(f"已参加 {names}")


def record_resolution(page, number, actions):
    item = agenda_item(page, number)
    form = open_action(item, "记录决议").locator("form")
    form.get_by_label("决定怎么办").fill(RESOLUTION)
    for n, (who, what, due) in enumerate(actions, start=1):
        row = form.locator("fieldset.action-row").filter(
            has=page.locator("legend", has_text=f"任务 {n}")
        )
        row.get_by_label("负责人").select_option(label=who)
        row.get_by_label("内容").fill(what)
        row.get_by_label("完成时限").fill(due.isoformat())
    form.get_by_role("button", name="记录决议").click()

    said(page, "决议已记录，三方现在可以签字。")
    resolution = item.locator(".resolution")
    expect(resolution).to_contain_text(RESOLUTION)
    expect(resolution.locator(".badge").first).to_have_text("等待签字")
    for who, what, due in actions:
        shown = f"{due.year}年{due.month}月{due.day}日"  # Babel's medium date in Chinese
        expect(resolution).to_contain_text(f"{who.split(' · ')[0]}: {what} · {shown} 前")


def sign(page, number, party, party_name):
    resolution = agenda_item(page, number).locator(".resolution")
    details = resolution.locator("details.action").filter(
        has=page.locator("summary", has_text="签字或表示不同意")
    )
    expect(details).to_have_attribute("open", "")  # open from the start: it is why one comes
    form = details.locator("form")
    expect(form.get_by_label("代表哪一方签字").locator("option")).to_have_text([party_name])
    form.get_by_role("radio", name="同意并签字").check()
    form.get_by_role("button", name="提交", exact=True).click()

    said(page, "已签字。")
    expect(resolution.locator(f".sig-{party}")).to_contain_text("已签字")
    expect(details).to_have_count(0)


# -- the journey --------------------------------------------------------------------------


def test_three_parties_consult_resolve_sign_and_publish(
    new_page, live_server, world, add_member, add_resident
):
    manager = add_member(Role.PROPERTY_MANAGER, "赵经理")
    staff = add_member(Role.PROPERTY_STAFF, "孙师傅")
    rep = add_member(Role.REPRESENTATIVE, "钱代表")
    reporter = add_resident("王阿姨", room="1-502")
    neighbour = add_resident("刘大爷", building="3", room="3-301")
    first, second, third = seed_cases(live_server, reporter, world.secretary)

    secretary = signed_in_page(new_page, world.secretary)
    meeting = convene(secretary, [first, second], left_out=[third])

    property_manager = signed_in_page(new_page, manager)
    give_opinion(property_manager, meeting, first, "property", "物业", PROPERTY_OPINION)
    representative = signed_in_page(new_page, rep)
    give_opinion(representative, meeting, first, "residents", "居民代表", RESIDENTS_OPINION)

    secretary.goto(meeting)
    expect(agenda_item(secretary, first)).to_contain_text(PROPERTY_OPINION)
    expect(agenda_item(secretary, first)).to_contain_text(RESIDENTS_OPINION)
    survived = mark_the_window(secretary)
    record_attendance(
        secretary,
        [
            ("branch", "党支部", world.secretary.name),
            ("property", "物业", f"{manager.name}、{staff.name}"),
            ("residents", "居民代表", rep.name),
        ],
    )
    expect(secretary.locator("#missing-parties")).to_have_count(0)
    due = local_date() + timedelta(days=14)
    record_resolution(
        secretary,
        first,
        [(f"{staff.name} · 物业", STAFF_TASK, due), (f"{rep.name} · 居民代表", REP_TASK, due)],
    )
    sign(secretary, first, "branch", "党支部")
    assert survived(), "recording attendance, the resolution or a signature reloaded the page"

    for page, party, party_name in (
        (property_manager, "property", "物业"),
        (representative, "residents", "居民代表"),
    ):
        page.goto(meeting)
        survived = mark_the_window(page)
        sign(page, first, party, party_name)
        assert survived(), "signing reloaded the whole page"
    resolution = agenda_item(representative, first).locator(".resolution")
    expect(resolution.locator(".badge").first).to_have_text(re.compile(r"\S.* 起生效$"))

    for someone, task in ((staff, STAFF_TASK), (rep, REP_TASK)):
        page = representative if someone is rep else signed_in_page(new_page, staff)
        page.goto("/cases/mine")
        tasks = page.get_by_role("region", name="我的任务")
        expect(tasks).to_contain_text(task)
        expect(tasks.get_by_role("link", name=first)).to_be_visible()

    board = signed_in_page(new_page, neighbour)
    board.goto("/c/ymn/notices")
    published = board.locator("article.notice-resolution")
    expect(published).to_have_count(1)
    expect(published).to_contain_text(RESOLUTION)
    expect(published).to_contain_text(TITLE)
    expect(published).to_contain_text(f"事项 {first}")
    expect(published).to_contain_text(STAFF_TASK)
    main = board.get_by_role("main")
    expect(main).not_to_contain_text(reporter.name)
    expect(main).not_to_contain_text(reporter.phone)


def seed_meeting(live_server, world, numbers) -> int:
    """An in-person meeting on the cases, convened through the services; returns its id."""
    with live_server.app.app_context():
        from sqlalchemy import select

        from portal.accounts.service import find_by_phone
        from portal.cases.models import Case
        from portal.clock import now
        from portal.consultation import service
        from portal.consultation.models import Mode
        from portal.extensions import db
        from portal.organisation import queries

        agenda = db.session.scalars(select(Case).where(Case.number.in_(numbers))).all()
        consultation = service.convene(
            queries.compound_by_code("ymn"),
            find_by_phone(world.secretary.phone),
            title=TITLE,
            mode=Mode.IN_PERSON,
            case_list=agenda,
            starts_at=now() + timedelta(days=1),
            place=PLACE,
        )
        return consultation.id


def test_meeting_cannot_conclude_while_a_party_is_missing(
    new_page, live_server, world, add_member, add_resident
):
    manager = add_member(Role.PROPERTY_MANAGER, "赵经理")
    reporter = add_resident("王阿姨", room="1-502")
    numbers = seed_cases(live_server, reporter, world.secretary, CASES[:1])
    meeting = f"/consultations/{seed_meeting(live_server, world, numbers)}"

    page = signed_in_page(new_page, world.secretary)
    page.goto(meeting)
    survived = mark_the_window(page)
    record_attendance(
        page, [("branch", "党支部", world.secretary.name), ("property", "物业", manager.name)]
    )
    expect(page.locator("#missing-parties")).to_have_text("尚未参加：居民代表")

    page.get_by_role("button", name="结束会议").click()
    expect(region(page).get_by_role("alert")).to_have_text("会议不能结束：居民代表未参加。")
    expect(page.locator("#missing-parties")).to_have_text("尚未参加：居民代表")
    expect(page.locator("#attendance-residents")).to_contain_text("未记录")
    expect(page.get_by_role("button", name="结束会议")).to_be_visible()  # still open
    assert survived(), "the refusal reloaded the whole page"
