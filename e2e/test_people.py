"""The admin replaces a grid worker who has fallen ill, from their phone at 360 px: the old account is deactivated,
a new one made for the same grid, and the new grid worker logs in with the password the page showed once."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.pages import LoginPage, assert_accessible, assert_phone_layout

ADMIN = "13800000000"
LEAVING = "紫锦木"  # grid 6's grid worker, 13800000006


def test_an_admin_replaces_a_grid_worker_the_same_day(new_context, own_server) -> None:
    own_server.start()  # a server of its own: this test deactivates a demo grid worker

    def phone() -> Page:
        return new_context(base_url=own_server.base_url, viewport={"width": 360, "height": 740}).new_page()

    admin = phone()
    LoginPage(admin).open().log_in_as(ADMIN)
    admin.get_by_test_id("people-link").click()
    people = admin.get_by_test_id("person")
    expect(people).to_have_count(7)  # the admin and six grid workers
    expect(admin.get_by_test_id("add-person")).to_contain_text("每个网格都有网格员了")
    assert_phone_layout(admin, "people")
    assert_accessible(admin, "people")

    leaving = people.filter(has_text=LEAVING)
    leaving.get_by_text("停用", exact=True).click()
    leaving.get_by_test_id("deactivate-submit").click()
    expect(admin.get_by_test_id("deactivated")).to_contain_text(f"{LEAVING} 已不能登录")
    expect(people.filter(has_text=LEAVING)).to_contain_text("已停用")

    form = admin.get_by_test_id("add-person")
    form.get_by_label("姓名").fill("林新")
    form.get_by_label("手机号（用它登录）").fill("13600000066")
    form.get_by_label("网格（只有网格员要选）").select_option(label="第六网格")
    form.get_by_test_id("add-person-submit").click()
    shown = admin.get_by_test_id("new-password")
    expect(shown).to_contain_text("用 13600000066 和这个密码登录")
    password = admin.get_by_test_id("password").inner_text().strip()
    assert_phone_layout(admin, "people-new-password")

    newcomer = phone()
    LoginPage(newcomer).open().log_in_as("13600000066", password)
    expect(newcomer.get_by_test_id("who")).to_contain_text("林新")
    expect(newcomer.locator("main")).to_contain_text("第六网格")
    left = LoginPage(phone()).open()
    left.submit("13800000006")  # the one who left: refused
    expect(left.error).to_be_visible()
