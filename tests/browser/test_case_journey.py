"""A case from the lobby's QR code to its resolution, on phones, with and without JavaScript:
the resident files it with a photo, the secretary accepts and assigns it from the queue, the
property manager posts an update and an internal note and marks it resolved, and the resident
sees the public part of it all."""

import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from portal.accounts.roles import Role
from portal.clock import local_date
from tests import factories
from tests.browser.helpers import sign_in, tap_targets

DESCRIPTION = "2号楼电梯从昨晚起停在5楼不动，老人上下楼很困难。"
PUBLIC_UPDATE = "维保公司已到场，正在更换电梯门机控制板。"
INTERNAL_NOTE = "控制板费用约1800元，需报物业经理审批。"
RESOLUTION = "已更换门机控制板并试运行，电梯恢复正常。"
NUMBER = re.compile(r"ymn-(\d{8})-0001")


def make_photo(tmp_path):
    path = tmp_path / "lift.jpg"
    Image.new("RGB", (640, 480), (180, 40, 30)).save(path, "JPEG")
    return path


def action(page, summary):
    """One of the case page's <details> actions, found by its summary."""
    return page.locator("#case details.action").filter(
        has=page.locator("summary", has_text=re.compile(rf"^\s*{summary}\s*$"))
    )


def mark_the_window(page, javascript):
    """With JavaScript, marks the window; the returned `survived()` says whether the same
    window is still there, that is, whether no page load happened since."""
    if javascript:
        page.evaluate("window.__marker = 1")
    return lambda: page.evaluate("window.__marker") == 1


def file_from_the_lobby(page, tmp_path) -> str:
    """The resident opens building 2's QR address, reports a lift fault; returns the number."""
    page.goto("/c/ymn/report?building=2")
    expect(page.get_by_role("heading", level=1)).to_have_text("我要说事 · Plum Garden")
    expect(page.get_by_label("楼栋").locator("option:checked")).to_have_text("Building 2")
    page.get_by_label("问题类型").select_option(label="电梯")
    page.get_by_label("情况说明").fill(DESCRIPTION)
    page.get_by_label("照片（最多 4 张）").set_input_files(make_photo(tmp_path))
    page.get_by_label("我已阅读并同意隐私告知").check()
    before = local_date()
    page.get_by_role("main").get_by_role("button", name="提交").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("谢谢，我们已收到")
    receipt = page.get_by_text("您的事项编号是")
    expect(receipt).to_have_text(NUMBER)
    number = NUMBER.search(receipt.inner_text())
    # Numbered by the compound's Shanghai day (a midnight may pass while the test runs).
    assert number[1] in {f"{day:%Y%m%d}" for day in (before, before + timedelta(days=1))}
    return number[0]


def accept_from_the_queue(page, number, staff, javascript):
    page.goto("/c/ymn/cases")
    row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=number))
    expect(row).to_contain_text("新反映")
    survived = mark_the_window(page, javascript)

    row.locator("summary", has_text="受理").click()
    if not javascript:
        # The row's forms are drawn on request: htmx fetches them as the row opens; without
        # it, this link shows the queue again with them drawn.
        row.get_by_role("link", name="打开受理表单").click()
        expect(page).to_have_url(re.compile(r"/c/ymn/cases\?triage=\d+#row-\d+$"))
        row = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=number))
    assignee = row.get_by_label("派给")
    assignee.select_option(assignee.locator("option", has_text=staff.name).get_attribute("value"))
    row.get_by_role("button", name="受理", exact=True).click()

    accepted = f"事项 {number} 已受理。"
    expect(page.get_by_role("status").filter(has_text=accepted)).to_have_text(accepted)
    expect(row.locator(".badge")).to_have_text("办理中")
    expect(row).to_contain_text(f"承办人：{staff.name}")
    expect(row.locator("summary", has_text="受理")).to_have_count(0)
    if javascript:
        assert survived(), "accepting from the queue reloaded the whole page"
    else:
        expect(page).to_have_url(re.compile(r"/c/ymn/cases$"))


def work_the_case(page, number, javascript):
    """The property manager posts a public update and an internal note, then resolves it."""
    page.goto(f"/cases/{number}")
    heading = page.locator("#case").get_by_role("heading", level=1)
    expect(heading).to_contain_text("办理中")
    survived = mark_the_window(page, javascript)
    timeline = page.locator("#timeline")

    update = action(page, "发布进展")
    update.locator("summary").click()
    update.get_by_label("进展").fill(PUBLIC_UPDATE)
    update.get_by_label("公开：居民可见").check()
    update.get_by_role("button", name="发布").click()
    expect(page.get_by_role("status")).to_have_text("进展已发布。")
    expect(timeline.locator("li").first).to_contain_text(PUBLIC_UPDATE)
    expect(timeline.locator("li").first).not_to_contain_text("内部")

    update.locator("summary").click()  # the answer drew the case afresh, its actions closed
    update.get_by_label("进展").fill(INTERNAL_NOTE)
    update.get_by_label("内部备注：居民看不到").check()
    update.get_by_role("button", name="发布").click()
    expect(page.get_by_role("status")).to_have_text("内部备注已保存。")
    expect(timeline.locator("li").first).to_contain_text(INTERNAL_NOTE)
    expect(timeline.locator("li").first).to_contain_text("内部")

    resolve = action(page, "办结")
    resolve.locator("summary").click()
    # Not get_by_label("处理结果"): that label points at the update form's box (see
    # test_case_page_labels_name_their_own_fields).
    resolve.locator("textarea[name=body]").fill(RESOLUTION)
    resolve.get_by_role("button", name="办结").click()
    expect(page.get_by_role("status")).to_have_text(f"事项 {number} 已办结。")
    expect(heading).to_contain_text("已办结")
    expect(page.locator("#case")).to_contain_text(f"处理结果： {RESOLUTION}")
    expect(timeline.locator("li").first).to_contain_text(f"已办结： {RESOLUTION}")
    if javascript:
        assert survived(), "an action on the case page reloaded the whole page"
    else:
        expect(page).to_have_url(re.compile(rf"/cases/{number}$"))


def see_it_resolved(page, number):
    """The resident sees the outcome and the public update, not the internal note; and the
    photo they sent."""
    page.goto(f"/cases/{number}")
    case = page.locator("#case")
    expect(case.get_by_role("heading", level=1)).to_contain_text("已办结")
    expect(case).to_contain_text(DESCRIPTION)
    expect(case).to_contain_text(PUBLIC_UPDATE)
    expect(case).to_contain_text(f"处理结果： {RESOLUTION}")
    expect(case).not_to_contain_text(INTERNAL_NOTE)
    expect(case).not_to_contain_text("内部")

    # The photo under 情况说明 (the timeline's 反映了问题 shows it again).
    photo = case.get_by_role("img", name="照片 1").first
    expect(photo).to_be_attached()
    photo.scroll_into_view_if_needed()  # it loads lazily
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    answer = page.request.get(photo.get_attribute("src"))
    assert answer.status == 200 and answer.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_case_goes_from_the_lobby_to_resolved(
    new_page, world, add_resident, add_member, tmp_path, javascript
):
    manager = add_member(Role.PROPERTY_MANAGER, "周经理")
    staff = add_member(Role.PROPERTY_STAFF, "孙师傅")
    resident = add_resident("王芳", building="2", room="2-501")

    neighbour = new_page(javascript=javascript)
    sign_in(neighbour, resident)
    expect(neighbour).to_have_url(re.compile(r"/my$"))
    number = file_from_the_lobby(neighbour, tmp_path)

    secretary = new_page(javascript=javascript)
    sign_in(secretary, world.secretary)
    expect(secretary).to_have_url(re.compile(r"/desk/secretary$"))
    accept_from_the_queue(secretary, number, staff, javascript)

    property_manager = new_page(javascript=javascript)
    sign_in(property_manager, manager)
    expect(property_manager).to_have_url(re.compile(r"/desk/property_manager$"))
    work_the_case(property_manager, number, javascript)

    see_it_resolved(neighbour, number)


# -- the case page itself -----------------------------------------------------------------


def seed_case(live_server, tmp_path, world, *, handled_by=None) -> str:
    """A lift case filed at building 2 with a photo (and, given `handled_by`, accepted by the
    secretary and assigned to them), made through the services; returns its number."""
    with live_server.app.app_context():
        from portal.accounts.service import find_by_phone
        from portal.cases import photos
        from portal.cases.categories import Category
        from portal.cases.workflow import State
        from portal.organisation import queries

        with make_photo(tmp_path).open("rb") as photo:
            processed = [photos.process(photo, "lift.jpg")]
        handler = find_by_phone(handled_by.phone) if handled_by is not None else None
        case = factories.case(
            queries.compound_by_code(world.ymn.code),
            State.FILED if handler is None else State.IN_PROGRESS,
            secretary=find_by_phone(world.secretary.phone),
            assignee=handler,
            category=Category.LIFT,
            description=DESCRIPTION,
            location="2单元5楼",
            contact_name="王芳",
            contact_phone="13912345678",
            processed_photos=processed,
        )
        return case.number


def test_case_page_fits_a_phone(page, world, live_server, tmp_path):
    number = seed_case(live_server, tmp_path, world)
    sign_in(page, world.secretary)
    expect(page).to_have_url(re.compile(r"/desk/secretary$"))
    page.goto(f"/cases/{number}")
    expect(page.locator("#case").get_by_role("heading", level=1)).to_contain_text("新反映")

    # Open every action, as a secretary working through them would: their forms must fit too.
    for name in ("受理", "退回", "合并到其他事项", "发布进展"):
        expect(action(page, name)).to_have_count(1)
    summaries = page.locator("#case details.action > summary").all()
    for summary in summaries:
        summary.click()
    expect(page.locator("#case details.action[open]")).to_have_count(len(summaries))

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the case page scrolls sideways: {width}px wide on a 390px phone"
    targets = tap_targets(page)
    assert len(targets) >= 15, f"the case page shows too few controls: {targets}"
    small = [f"{t['what']} ({t['height']:.0f}px)" for t in targets if t["height"] < 44]
    assert small == [], f"the case page has tap targets under 44px: {', '.join(small)}"


def test_case_page_labels_name_their_own_fields(new_page, live_server, world, add_member, tmp_path):
    manager = add_member(Role.PROPERTY_MANAGER, "周经理")
    staff = add_member(Role.PROPERTY_STAFF, "孙师傅")
    number = seed_case(live_server, tmp_path, world, handled_by=staff)
    page = new_page(javascript=False)
    sign_in(page, manager)
    expect(page).to_have_url(re.compile(r"/desk/property_manager$"))
    page.goto(f"/cases/{number}")
    expect(action(page, "办结")).to_have_count(1)

    strays = page.evaluate("""() => [...document.querySelectorAll("main label[for]")]
      .filter(label => !label.control || label.control.form !== label.closest("form"))
      .map(label => label.textContent.trim())""")
    assert strays == [], f"labels that name a field of another form (or none): {strays}"
