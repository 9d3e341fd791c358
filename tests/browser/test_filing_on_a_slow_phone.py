"""Filing from a cheap phone on a slow link (400 kbit/s, 400 ms round trips, a CPU four times
slower): a 12-megapixel photo is scaled down in the browser and sent ahead, under 500 kB, so that
tapping "send" sends only the text, and a missing field is caught before anything is sent.
Without JavaScript, a send with a missing field keeps the photo. The urgent choice is a large
target at every text size."""

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.cases.models import Case, Photo
from portal.extensions import db
from tests import factories

# Chrome DevTools' own "slow 3G" shape, as the issue measured it: bytes per second each way.
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400_000 // 8,
    "uploadThroughput": 400_000 // 8,
}


def slow_phone(page):
    """The page on an emulated slow link, with its CPU slowed four times."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("Network.enable")
    devtools.send("Network.emulateNetworkConditions", SLOW_3G)
    devtools.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    return devtools


def a_phone_photo(tmp_path):
    path = tmp_path / "IMG_0001.jpg"
    path.write_bytes(factories.phone_photo())
    return path


def stored_case(live_server):
    with live_server.app.app_context():
        case = db.session.scalars(select(Case)).one()
        photos = db.session.scalars(select(Photo).where(Photo.case_id == case.id)).all()
        return case.number, [(p.width, p.height) for p in photos]


def body_size(request) -> int:
    """The bytes a request sent as its body (DevTools reports no body size for a blob sent from
    a script, but the browser's own Content-Length header says it)."""
    return int(request.header_value("content-length") or 0)


def fill_all_but_the_description(page):
    page.get_by_label("问题类型").select_option(label="电梯")
    page.get_by_label("您的姓名").fill("王阿姨")
    page.get_by_label("联系电话").fill("13712345678")
    page.get_by_label("我已阅读并同意隐私告知").check()


def test_a_photo_from_a_slow_phone_is_scaled_sent_ahead_and_filed_in_seconds(
    page, world, live_server, tmp_path
):
    photo = a_phone_photo(tmp_path)
    assert photo.stat().st_size > 2_500_000
    filings, uploads = [], []
    page.on(
        "requestfinished",
        lambda r: (
            (uploads if r.url.endswith("/report/photos") else filings).append(r)
            if r.method == "POST"
            else None
        ),
    )
    slow_phone(page)
    started = time.monotonic()
    page.goto("/c/ymn/report?building=2")
    loaded = time.monotonic() - started

    # A missing field is said before anything is sent: a summary, focused, the title marked.
    fill_all_but_the_description(page)
    page.get_by_role("button", name="提交").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    # Exposed to screen readers as an alert, which they announce as it appears.
    expect(page.get_by_role("alert")).to_contain_text("情况说明：请说明发生了什么。")
    expect(summary.get_by_role("link", name="情况说明：请说明发生了什么。")).to_be_visible()
    assert page.title().startswith("错误：")
    expect(page.get_by_label("情况说明")).to_have_attribute("aria-invalid", "true")
    assert filings == [] and uploads == []

    # The photo is chosen and "send" tapped at once: the form waits for the photo, then goes.
    page.get_by_label("情况说明").fill("2号楼电梯停在5楼不动，老人上下楼很困难。")
    page.get_by_label("照片（最多 4 张）").set_input_files(photo)
    expect(page.locator("#photo-progress")).to_be_visible()
    tapped = time.monotonic()
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("谢谢，我们已收到", timeout=30_000)
    took = time.monotonic() - tapped

    sent = sum(body_size(r) for r in uploads)
    form = sum(body_size(r) for r in filings)
    print(
        f"\nslow 3G, CPU 4x: form loaded in {loaded:.1f} s; send to receipt {took:.1f} s; "
        f"photo {photo.stat().st_size:,} B chosen, {sent:,} B sent; the form itself {form:,} B"
    )
    assert len(uploads) == 1 and sent < 500_000
    assert len(filings) == 1 and form < 5_000  # the text only: the photo went ahead
    # The time is printed, not asserted: the suite's machine is shared and a timed assertion
    # would fail with its load. scripts/bench_filing.py measures it (docs/benchmarks.md).
    _number, photos = stored_case(live_server)
    assert photos == [(1600, 1200)]


def test_without_javascript_a_send_with_a_missing_field_keeps_the_photo(
    new_page, world, live_server, tmp_path
):
    page = new_page(javascript=False)
    page.goto("/c/ymn/report?building=2")
    fill_all_but_the_description(page)
    page.get_by_label("照片（最多 4 张）").set_input_files(a_phone_photo(tmp_path))
    page.get_by_role("button", name="提交").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # autofocus: no script needed
    expect(page.get_by_role("alert")).to_contain_text("情况说明：请说明发生了什么。")
    assert page.title().startswith("错误：")
    expect(page.get_by_role("img", name="您选的第 1 张照片")).to_be_visible()
    expect(page.get_by_label("您的姓名")).to_have_value("王阿姨")

    page.get_by_label("情况说明").fill("电梯停在5楼不动。")
    # Enter in a field sends the form (not the kept photo's "remove", which comes first).
    page.get_by_label("具体位置").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("谢谢，我们已收到")
    _number, photos = stored_case(live_server)
    assert photos == [(1600, 1200)]


def test_enter_sends_the_form_once_the_photo_sent_ahead_is_there(
    page, world, live_server, tmp_path
):
    page.goto("/c/ymn/report?building=2")
    fill_all_but_the_description(page)
    page.get_by_label("情况说明").fill("电梯停在5楼不动。")
    page.get_by_label("照片（最多 4 张）").set_input_files(a_phone_photo(tmp_path))
    page.get_by_label("具体位置").press("Enter")  # while the photo may still be on its way
    expect(page.get_by_role("heading", level=1)).to_have_text("谢谢，我们已收到")
    assert stored_case(live_server)[1] == [(1600, 1200)]


def test_a_kept_photo_can_be_removed_without_javascript(new_page, world, live_server, tmp_path):
    page = new_page(javascript=False)
    page.goto("/c/ymn/report?building=2")
    page.get_by_label("照片（最多 4 张）").set_input_files(a_phone_photo(tmp_path))
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("img", name="您选的第 1 张照片")).to_be_visible()
    page.get_by_role("button", name="删除第 1 张照片").click()
    expect(page.get_by_role("img", name="您选的第 1 张照片")).to_have_count(0)
    fill_all_but_the_description(page)
    page.get_by_label("情况说明").fill("电梯停在5楼不动。")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("谢谢，我们已收到")
    assert stored_case(live_server)[1] == []


@pytest.mark.parametrize("text_size", [16, 32], ids=["100% text", "200% text"])
def test_the_urgent_choice_is_a_large_target(page, world, text_size):
    devtools = page.context.new_cdp_session(page)
    # The phone's own text size setting, as a reader who needs large text sets it.
    devtools.send("Page.enable")
    devtools.send("Page.setFontSizes", {"fontSizes": {"standard": text_size}})
    page.goto("/c/ymn/report")
    choices = page.locator("fieldset.tiles label.radio")
    expect(choices).to_have_count(2)
    for choice in choices.all():
        box = choice.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    urgent = page.get_by_role("radio", name="紧急")
    expect(page.get_by_role("radio", name="普通")).to_be_checked()
    choices.nth(1).click()
    expect(urgent).to_be_checked()
