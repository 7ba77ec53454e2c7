"""Setting a real community up: its places and people from its own list, and the accounts of its admin and grid
workers (server.places.loading, server.staff.provisioning, `python -m server load-places | add-user`)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest

from server.accounts.devices import stand_in
from server.accounts.tables import User, UserSession
from server.places.list_rows import LoadError, grid_name, grid_number
from server.places.loading import load_places
from server.places.tables import Building, Grid, Household, Resident, Unit
from server.staff import provisioning
from server.staff.provisioning import ProvisioningError, deactivate_user, reset_password
from tests.conftest import browser, log_in

PLACE = {"subdistrict": "柴村街道", "district": "尖草坪区", "city": "太原市"}
LIST = """网格,地址,姓名,性别,出生日期,联系电话,与户主关系,身份证号,状态
第一网格,1号楼1单元101室,王建华,男,1950-03-12,13912345678,户主,,
第一网格,1号楼1单元101室,李秀梅,女,1952年5月1日,,妻子,,
1,1-1-502,赵大爷,男,,0351-6012345,户主,140107194001011238,
第二网格,2号楼2单元1203,孙小红,女,1985/7/9,13700001111,户主,,外出
2,2栋2单元1203室,孙小明,男,2010.01.03,,儿子,,
"""


async def load(text: str, community: str, **options):
    return await load_places(text.encode("utf-8"), "list.csv", community=community, **PLACE, **options)


async def places_of(community_id) -> dict[str, int]:
    return {
        "grid": await Grid.count().where(Grid.community == community_id),
        "building": await Building.count().where(Building.community == community_id),
        "household": await Household.count().where(Household.community == community_id),
        "resident": await Resident.count().where(Resident.community == community_id),
    }


def test_grids_are_read_as_people_write_them():
    assert [grid_number(v) for v in ("2", "第2网格", "第二网格", "十二网格", "第二十网格", "二十一", "网格")] == [
        2,
        2,
        2,
        12,
        20,
        21,
        None,
    ]
    assert [grid_name(n) for n in (2, 10, 12, 20, 21)] == [
        "第二网格",
        "第十网格",
        "第十二网格",
        "第二十网格",
        "第二十一网格",
    ]


async def test_a_communitys_list_becomes_its_grids_buildings_doors_and_people_once():
    dry = await load(LIST, "新华社区", dry_run=True)
    assert not dry.problems and dry.added["resident"] == 5 and dry.added["household"] == 3
    assert dry.community_id is not None and await Grid.count().where(Grid.community == dry.community_id) == 0

    loaded = await load(LIST, "新华社区")
    assert loaded.added == {
        "district": 1,
        "subdistrict": 1,
        "community": 1,
        "grid": 2,
        "building": 2,
        "unit": 2,
        "household": 3,
        "resident": 5,
    }
    place = loaded.community_id
    door = await Household.objects().get((Household.community == place) & (Household.door == "2-2-1203"))
    assert door.floor == 12 and door.room == "1203"
    unit = await Unit.objects().get(Unit.id == door.unit)
    assert unit.floors == 12
    building = await Building.objects().get(Building.id == door.building)
    grid = await Grid.objects().get(Grid.id == building.grid)
    assert (building.name, grid.number, grid.name) == ("2号楼", 2, "第二网格")
    people = {
        r["name"]: r
        for r in await Resident.select().where(Resident.community == place)  # the list's spellings, settled
    }
    assert people["李秀梅"]["birth_date"] == date(1952, 5, 1) and people["李秀梅"]["relation"] == "spouse"
    assert people["赵大爷"]["birth_date"] == date(1940, 1, 1)  # from the ID number
    assert people["赵大爷"]["phone"] == "03516012345" and people["孙小明"]["relation"] == "child"
    assert people["孙小红"]["status"] == "away" and people["王建华"]["sex"] == "M"

    again = await load(LIST, "新华社区")  # the same list again: nothing twice
    assert again.community_id == place and again.added == {} and again.residents_known == 5
    more = LIST + "第一网格,1号楼1单元1801,钱新来,女,1990-01-01,,户主,,\n"
    grown = await load(more, "新华社区")
    assert grown.added == {"household": 1, "resident": 1}
    assert (
        await Unit.objects().get(Unit.id == (await Household.objects().get(Household.door == "1-1-1801")).unit)
    ).floors == 18


async def test_a_list_with_problems_says_each_by_line_and_writes_nothing():
    bad = (
        LIST
        + "第一网格,3号楼,无门牌,男,,,,,\n"  # line 7: no whole door
        + "2,1号楼1单元302,换网格,男,,,,,\n"  # line 8: building 1 is in grid 1
        + "1,1-1-303,坏号码,男,,12ab,,,\n"  # line 9
        + "1,1-1-304,,男,1948-02-30,,,,\n"  # line 10: no name, and no such day
        + "1,1-1-305,错号,女,,,,140107194001011234,\n"  # line 11: the check digit is wrong
        + "1,1-1-306,谁,女,,,,,失联\n"  # line 12: a status nobody knows
        + "第一网格,1-1-101,王建华,男,,,,,\n"  # line 13: 王建华 of line 2 again
        + "1,1号楼1单元301-1,合租,男,,,,,\n"  # line 14: a door that could be read two ways
        + "1,A1-1-301,楼号带字母,男,,,,,\n"  # line 15: A1 is not building 1
        + "1,一期1号楼1单元301,分期,男,,,,,\n"  # line 16: phase one's building 1
        + "1,1-1-301,同证,男,,,,140107194001011238,\n"  # line 17: 赵大爷's ID number
    )
    loaded = await load(bad, "问题社区")
    assert {(p.line, p.code) for p in loaded.problems} == {
        (7, "no_door"),
        (8, "grid_conflict"),
        (9, "bad_phone"),
        (10, "no_name"),
        (10, "bad_birth_date"),
        (11, "bad_id_number"),
        (12, "unknown_status"),
        (13, "duplicate_person"),
        (14, "no_door"),
        (15, "no_door"),
        (16, "no_door"),
        (17, "duplicate_id"),
    }
    assert loaded.community_id is None and loaded.added == {}
    with pytest.raises(LoadError, match="姓名"):
        await load("姓名,电话\n张三,13900000000\n", "问题社区")  # no door, no grid
    with pytest.raises(LoadError, match=".xlsx"):
        await load_places(b"\xd0\xcf\x11\xe0" + b"0" * 100, "old.xls", community="问题社区", **PLACE)


async def test_columns_about_someone_else_are_not_the_persons_own():
    """户主姓名 is not the name, 网格员电话 not the phone, 户籍地址 not the door, 户号 not the room."""
    text = (
        "户主姓名,姓名,网格员电话,联系电话,户籍地址,现住址,户号,网格,与户主关系,状态\n"
        "王大,王大,13800000002,13911110001,5号楼3单元602,8号楼1单元201,1400010001,2,户主,\n"
        "王大,李二,13800000002,,5号楼3单元602,8号楼1单元201,1400010001,2,妻子,\n"
        "王大,王三,13800000002,,5号楼3单元602,8号楼1单元201,1400010001,2,儿子,人户分离\n"
        "王大,王四,13800000002,,5号楼3单元602,8号楼1单元201,1400010001,2,次子,已故\n"
        "王大,王五,13800000002,138****0000,5号楼3单元602,8号楼1单元201,1400010001,2,妹夫,\n"
    )
    loaded = await load(text, "户主社区")
    assert not loaded.problems and loaded.added["resident"] == 4 and loaded.deceased == 1
    assert loaded.masked_phones == 1
    people = {
        r["name"]: r
        for r in await Resident.select(Resident.name, Resident.phone, Resident.relation, Resident.status).where(
            Resident.community == loaded.community_id
        )
    }
    assert set(people) == {"王大", "李二", "王三", "王五"}  # 王四 has died
    assert people["王大"]["phone"] == "13911110001" and people["王五"]["phone"] is None
    assert people["李二"]["relation"] == "spouse" and people["王五"]["relation"] == "other"  # 妹夫 is not a spouse
    assert people["王三"]["status"] == "away"
    assert await Household.count().where((Household.community == loaded.community_id) & (Household.door == "8-1-201"))


async def test_a_later_list_adds_only_new_people_and_changes_no_grid():
    first = await load(LIST, "再来社区")
    renamed = LIST.replace("赵大爷,男", "赵大伯,男")  # the same ID number: the same person, already there
    assert (await load(renamed, "再来社区")).added == {}
    moved = LIST.replace("第二网格,2号楼", "5,2号楼").replace("2,2栋", "5,2栋")
    refused = await load(moved, "再来社区")
    assert {p.code for p in refused.problems} == {"building_in_other_grid"} and refused.added == {}
    assert await Grid.count().where((Grid.community == first.community_id) & (Grid.number == 5)) == 0
    with pytest.raises(LoadError, match="already exists in 太原市 尖草坪区 柴村街道"):
        await load_places(
            LIST.encode(), "list.csv", community="再来社区", subdistrict="柴村街道", district="尖草坪区", city="太原"
        )  # a typo of the city would have made a second community
    other = await load_places(
        LIST.encode(),
        "l.csv",
        community="再来社区",
        subdistrict="兴华街道",
        district="万柏林区",
        city="太原市",
        another=True,
    )
    assert other.community_id != first.community_id and other.added["resident"] == 5


async def add_user(community: str, *args, **kwargs):
    """As the command line does: the community by its name."""
    return await provisioning.add_user(await provisioning.community_named(community), *args, **kwargs)


async def test_accounts_for_the_admin_and_a_grid_worker_who_then_sees_their_grid(app):
    loaded = await load(LIST, "开户社区")
    admin = await add_user("开户社区", "admin", "138 2222 0001", "王主任")
    worker = await add_user("开户社区", "grid_worker", "13822220002", "刘网格", grid=2)
    assert admin.phone == "13822220001" and len(admin.password) == 12 and admin.password != worker.password
    stored = await User.objects().get(User.id == worker.user_id)
    assert stored.community == loaded.community_id and stored.role == "grid_worker" and stored.grid is not None
    assert admin.password not in (await User.objects().get(User.id == admin.user_id)).password_hash

    for refused, args in (
        ("already has an account", ("开户社区", "admin", "13822220001", "又一个")),
        ("already has its grid worker", ("开户社区", "grid_worker", "13822220003", "抢网格", 2)),
        ("no grid 9", ("开户社区", "grid_worker", "13822220003", "没网格", 9)),
        ("no community", ("没有的社区", "admin", "13822220003", "谁")),
        ("11-digit", ("开户社区", "admin", "12345", "谁")),
        ("needs --grid", ("开户社区", "grid_worker", "13822220003", "谁")),
    ):
        with pytest.raises(ProvisioningError, match=refused):
            await add_user(*args)

    guest_id = uuid.uuid4()  # joined a sweep once with a code: a guest of the number, apart from log-in numbers
    guest = User(id=guest_id, community=loaded.community_id, phone=stand_in(guest_id), guest_phone="13822220009")
    guest.name, guest.role, guest.is_guest = "志愿者", "volunteer", True
    guest.password_hash, guest.created_at = "", stored.created_at
    await guest.save()
    account = await add_user("开户社区", "grid_worker", "13822220009", "老志愿", grid=1)
    assert account.user_id != guest.id  # the account is made; the guest stays a guest, its records its own
    assert (await User.objects().get(User.id == guest.id)).is_guest is True

    async with browser(app) as phone:
        assert (await log_in(phone, "13822220002", worker.password)).status_code == 303
        home = (await phone.get("/")).text
        assert "刘网格" in home and "第二网格" in home and "2号楼" in home and "1号楼" not in home
        fresh = await reset_password("13822220002")  # lost it: a new one, and the old sessions end
        assert await UserSession.count().where(UserSession.user == worker.user_id) == 0
        assert (await log_in(phone, "13822220002", worker.password)).status_code != 303
        assert (await log_in(phone, "13822220002", fresh.password)).status_code == 303
        assert await deactivate_user("13822220002") == "刘网格"  # leaves: the grid is free for the next one
        assert (await phone.get("/api/v1/me")).status_code == 401
        with pytest.raises(ProvisioningError, match="deactivated"):
            await reset_password("13822220002")
    successor = await add_user("开户社区", "grid_worker", "13822220010", "新网格员", grid=2)
    async with browser(app) as phone:
        assert (await log_in(phone, "13822220010", successor.password)).status_code == 303


def test_the_command_line_sets_a_community_up_from_its_list(tmp_path: Path):
    """As the README tells whoever deploys it: migrate, load the list, make the accounts (a database of its own)."""
    listing = tmp_path / "people.csv"
    listing.write_text(LIST, encoding="utf-8-sig")
    env = {**os.environ, "GRIDCARE_DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite3'}", "GRIDCARE_DEMO": "0"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            [sys.executable, "-m", "server", *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert run("migrate").returncode == 0
    place = ["--community", "新华社区", "--subdistrict", "柴村街道", "--district", "尖草坪区", "--city", "太原市"]
    done = run("load-places", str(listing), *place)
    assert done.returncode == 0 and "5 rows read. Added:" in done.stdout and "5 resident" in done.stdout, done
    broken = tmp_path / "broken.csv"
    broken.write_text(LIST + "第一网格,3号楼,无门牌,男,,,,,\n", encoding="utf-8")
    refused = run("load-places", str(broken), *place)
    assert refused.returncode != 0 and "line 7: no door" in refused.stderr and "Nothing loaded" in refused.stderr
    made = run("add-user", "--community", "新华社区", "--role", "grid_worker", "--grid", "1", "--phone", "13833330001")
    assert made.returncode != 0 and "--name" in made.stderr  # argparse: what is missing
    made = run(
        "add-user", "--community", "新华社区", "--role", "grid_worker", "--grid", "1", "--phone", "13833330001",
        "--name", "刘网格",
    )  # fmt: skip
    assert made.returncode == 0 and "logs in with 13833330001" in made.stdout
    again = run("add-user", "--community", "新华社区", "--role", "admin", "--phone", "13833330001", "--name", "x")
    assert again.returncode != 0 and "already has an account" in again.stderr
    reset = run("reset-password", "--phone", "13833330001")
    assert reset.returncode == 0 and "New password for 13833330001" in reset.stdout
    gone = run("deactivate-user", "--phone", "13833330001")
    assert gone.returncode == 0 and "刘网格 can no longer log in" in gone.stdout
    refused = run("reset-password", "--phone", "13833330001")
    assert refused.returncode != 0 and "No password changed" in refused.stderr and "deactivated" in refused.stderr


async def test_a_communitys_list_is_cleaned_as_a_form_is():
    """A name with a bidi override is stored without it; a name that draws nothing is no name (issue 15, a
    stranger's second review: an upload never passes the form's edge)."""
    odd = (
        "网格,地址,姓名,性别\n"
        "1,1-1-101,王\u202e建华,男\n"
        "1,1-1-102,\u3164\u3164,女\n"  # line 3: HANGUL FILLERs only
        "1,1-1-103,김민준,男\n"  # Hangul syllables are a name
        "1,1-1-104,\u0301\u0301,女\n"  # line 5: combining marks alone hold no letter (a stranger's fourth review)
    )
    loaded = await load(odd, "清理社区", dry_run=True)
    assert {(p.line, p.code) for p in loaded.problems} == {(3, "no_name"), (5, "no_name")}
    odd = odd.replace("1,1-1-104,\u0301\u0301,女\n", "")
    loaded = await load(odd.replace("1,1-1-102,\u3164\u3164,女\n", ""), "清理社区")
    names = {r["name"] for r in await Resident.select(Resident.name).where(Resident.community == loaded.community_id)}
    assert names == {"王建华", "김민준"}
