"""Language: Chinese by default, English complete, the choice kept, Accept-Language honoured."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from portal.accounts.roles import Role
from tests import factories
from tests.conftest import ROOT, texts

CATALOGUES = ROOT / "portal" / "translations"


def test_visitor_sees_chinese_by_default(client):
    page = texts(client.get("/login"))
    assert "登录" in page and "手机号码" in page
    assert "Sign in" not in page


def test_html_lang_follows_the_language(client):
    assert '<html lang="zh-CN">' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/login"})
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)


def test_visitor_with_english_browser_sees_english(client):
    page = texts(client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert "Sign in" in page and "Mobile phone" in page


def test_chinese_browser_variants_get_chinese(client):
    for header in ("zh-CN", "zh", "zh-TW,zh;q=0.9", "fr,zh-CN;q=0.5"):
        assert "手机号码" in texts(client.get("/login", headers={"Accept-Language": header})), (
            header
        )


def test_visitor_switch_to_english_is_kept_and_returns_to_the_page(client):
    response = client.post("/language", data={"locale": "en", "next": "/signup"})
    assert response.headers["Location"] == "/signup"
    assert "Which compound do you live in?" in texts(client.get("/signup"))
    assert "Sign in" in texts(client.get("/login", headers={"Accept-Language": "zh-CN"}))


def test_language_switch_ignores_next_to_another_site(client):
    response = client.post("/language", data={"locale": "en", "next": "https://elsewhere.example/"})
    assert response.headers["Location"] == "/"


def test_signed_in_person_keeps_their_language_across_devices(app, client, world, login):
    someone = factories.member(Role.SECRETARY, world.ymn)
    login(someone)
    client.post("/language", data={"locale": "en", "next": "/home"})
    client.post("/logout")
    other_device = app.test_client()
    other_device.post("/login", data={"phone": someone.phone, "password": factories.PASSWORD})
    assert "Party-branch secretary" in texts(other_device.get("/desk/secretary"))


def _extracted_messages(tmp_path: Path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "portal" / "babel.cfg"),
            "-k",
            "_l",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT / "portal"),
        ],
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


def test_every_message_in_the_code_is_translated_in_both_catalogues(tmp_path):
    messages = _extracted_messages(tmp_path)
    assert len(messages) > 100
    for locale in ("zh_Hans_CN", "en"):
        with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
            catalogue = read_po(f, locale=locale)
        translated = {
            m.id
            for m in catalogue
            if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
        }
        missing = sorted(map(str, messages - translated))
        assert missing == [], f"{locale} lacks: {missing}"


def test_chinese_catalogue_is_really_chinese():
    with (CATALOGUES / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale="zh_Hans_CN")
    same_as_english = [
        m.id for m in catalogue if m.id and m.string == m.id and not isinstance(m.id, tuple)
    ]
    assert same_as_english == []


def test_placeholders_match_between_catalogues():
    import re

    pattern = re.compile(r"%\(\w+\)[sd]")
    for locale in ("zh_Hans_CN", "en"):
        with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
            for m in read_po(f, locale=locale):
                ids = m.id if isinstance(m.id, tuple) else (m.id,)
                strings = m.string if isinstance(m.string, tuple) else (m.string,)
                if m.id and all(strings):
                    expected = sorted(set(pattern.findall(" ".join(ids))))
                    for string in strings:
                        assert sorted(set(pattern.findall(string))) == expected, m.id


def test_only_printed_pages_may_be_asked_for_in_the_other_language(client, world, login):
    login(factories.member(Role.SECRETARY, world.ymn))  # reads Chinese
    assert "Scan with your phone" in texts(client.get("/c/ymn/poster?lang=en"))
    assert "用手机扫一扫" in texts(client.get("/c/ymn/poster"))  # that sheet only
    assert "用手机扫一扫" in texts(client.get("/c/ymn/poster?lang=fr"))
    assert "我的工作台" in texts(client.get("/desk/secretary?lang=en"))
