"""A refused list says, in place at 360 px, the limit it passed, and a server busy reading other files says so
(a stranger's third review of issue 15). The server runs two workers: the readers are counted across both."""

from __future__ import annotations

import fcntl
import os

from playwright.sync_api import Page, expect

from e2e.pages import LoginPage, assert_phone_layout

WORKER = "13800000002"  # 李雪敏: building 2 is in her grid


def test_a_list_refused_for_a_long_line_and_for_a_busy_server_says_so_in_place(new_context, own_server, tmp_path):
    own_server.env.update(GRIDCARE_WORKERS="2", GRIDCARE_UPLOAD_WAIT_SECONDS="1")
    own_server.start()
    page: Page = new_context(base_url=own_server.base_url, viewport={"width": 360, "height": 740}).new_page()
    LoginPage(page).open().log_in_as(WORKER)
    page.goto("/reconcile/")
    one_line = tmp_path / "名单.csv"
    one_line.write_bytes("姓名,".encode() + b"a" * 1_100_000)
    page.set_input_files("#file", str(one_line))
    page.get_by_test_id("check-list").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("文件里有一行太长（最多 1,000,000 个字）")
    assert_phone_layout(page, "reconcile-line-too-long")

    # Both readers busy (held here as another process of the server would): the person is told, nothing saved.
    slots = own_server.db_path.parent / "upload-slots"
    slots.mkdir(exist_ok=True)
    held = []
    try:
        for n in range(2):
            fd = os.open(slots / f"slot-{n}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            held.append(fd)
        honest = tmp_path / "honest.csv"
        honest.write_text("姓名,住址\n张国强,2-1-301\n", encoding="utf-8")
        page.set_input_files("#file", str(honest))
        page.get_by_test_id("check-list").click()
        expect(page.get_by_test_id("form-error")).to_contain_text("服务器正忙着读别人的文件")
        assert_phone_layout(page, "reconcile-busy")
    finally:
        for fd in held:
            os.close(fd)
    page.set_input_files("#file", str(honest))
    page.get_by_test_id("check-list").click()
    expect(page.get_by_test_id("preview")).to_be_visible()


def test_a_list_with_a_cell_in_no_row_is_told_it_is_damaged_in_place(page: Page, live_server, tmp_path) -> None:
    """A cell at A0 was told "the list is too long" (a stranger's third walk of issue 15)."""
    from tests.imports import hostile

    page.set_viewport_size({"width": 360, "height": 740})
    LoginPage(page).open().log_in_as(WORKER)
    page.goto("/reconcile/")
    damaged = tmp_path / "名单.xlsx"
    damaged.write_bytes(hostile.far_cell("A0"))
    page.set_input_files("#file", str(damaged))
    page.get_by_test_id("check-list").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("这个文件坏了")
    assert_phone_layout(page, "reconcile-damaged")
