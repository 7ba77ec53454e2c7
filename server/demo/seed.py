"""The demo community 铁北社区 (Taiyuan, 万柏林区, November 2022) and its demo accounts.

Everything is deterministic: the same code makes the same rows with the same ids on every machine, so tests,
screenshots and the stories in shared/design/DOMAIN.md can point at real rows (张大爷 lives at 2-1-301).

`seed_demo()` is idempotent and runs in one write transaction: all of it is written, or nothing.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import anyio.to_thread
from piccolo.table import Table

from server.accounts.passwords import hash_password
from server.accounts.tables import User
from server.db import insert_in_chunks, write_transaction
from server.demo import guides as guides_seed
from server.demo.names import GIVEN_NAMES, SURNAMES, VOLUNTEER_NAMES, demo_uuid
from server.guides.tables import Guide
from server.places.search_index import index_residents
from server.places.tables import (
    Building,
    Community,
    District,
    Grid,
    Household,
    Resident,
    Subdistrict,
    Unit,
)
from server.register.tables import ElderProfile
from server.settings import get_settings

# ---------------------------------------------------------------------------------------------------------------
# Fixed points

# Ages in the demo register are true on the day of the stories, not on the day the seed runs.
REFERENCE_DATE = date(2022, 11, 20)
# created_at / updated_at of every seeded row: the register as it stood before the stay-at-home order.
SEEDED_AT = datetime(2022, 11, 18, 8, 0, tzinfo=timezone(timedelta(hours=8)))
RANDOM_SEED = 20221120

CITY = "太原市"
DISTRICT_NAME = "万柏林区"
SUBDISTRICT_NAME = "千峰街道"
COMMUNITY_NAME = "铁北社区"
COMMUNITY_ADDRESS = f"{CITY}{DISTRICT_NAME}{SUBDISTRICT_NAME}{COMMUNITY_NAME}"
REGION_CODE = "140109"  # 万柏林区, the first six digits of a resident ID registered there

DISTRICT_ID = demo_uuid("district", DISTRICT_NAME)
SUBDISTRICT_ID = demo_uuid("subdistrict", SUBDISTRICT_NAME)
COMMUNITY_ID = demo_uuid("community", COMMUNITY_NAME)

GRID_NAMES = ["第一网格", "第二网格", "第三网格", "第四网格", "第五网格", "第六网格"]
GRID_IDS = [demo_uuid("grid", str(number)) for number in range(1, len(GRID_NAMES) + 1)]

# ---------------------------------------------------------------------------------------------------------------
# Demo accounts

DEMO_PASSWORD = "gridcare-demo"  # noqa: S105 - printed on the log-in page in demo mode
ADMIN_PHONE = "13800000000"
ADMIN_NAME = "王磊"
GRID_WORKER_PHONES = [f"1380000000{n}" for n in range(1, 7)]  # grid worker n owns grid n
GRID_WORKER_NAMES = ["郭婷", "李雪敏", "陈瑞云", "风桦", "美兰菊", "紫锦木"]
VOLUNTEER_PHONES = [f"1390000000{n}" for n in range(1, 6)]
RESIDENT_PHONE = "13700000001"  # 郝振华 (郝大爷, story 9)
DEMO_PHONES = [ADMIN_PHONE, *GRID_WORKER_PHONES, *VOLUNTEER_PHONES, RESIDENT_PHONE]
_DEMO_PHONE_PREFIXES = ("1380000000", "1390000000", "1370000000")

# ---------------------------------------------------------------------------------------------------------------
# Buildings

STREET_HOUSEHOLDS = 2265  # the community of the source: buildings 1 to 41
BUILDING_2_LIVING = 332  # story 7: "332 people, 2 not tested"


@dataclass(frozen=True)
class Shape:
    floors: int
    units: int
    doors_per_floor: int  # per unit
    ground_doors: int | None = None  # fewer on the ground floor (a tower's lobby takes the rest)

    def doors_on(self, floor: int) -> int:
        return self.ground_doors if floor == 1 and self.ground_doors is not None else self.doors_per_floor

    @property
    def households(self) -> int:
        return self.units * sum(self.doors_on(floor) for floor in range(1, self.floors + 1))


WALKUP_2 = Shape(6, 2, 2)  # 24 doors: the six-floor walk-ups of the 1980s-90s
WALKUP_3 = Shape(6, 3, 2)  # 36
WALKUP_4 = Shape(6, 4, 2)  # 48
WALKUP_5 = Shape(6, 5, 2)  # 60
TOWER_11 = Shape(11, 2, 2)  # 44, with a lift
POINT_11 = Shape(11, 1, 3)  # 33, a single-stair "point" tower
TOWER_18 = Shape(18, 2, 2)  # 72
TOWER_18_WIDE = Shape(18, 2, 3)  # 108

# Buildings 1-6 stand along the street, one in each grid, chosen so that each story's building is in the grid of
# the worker who tells it in the source (刘爷爷 and 风桦, 张大爷 and 李雪敏, ...). Behind them, each grid has a
# block of consecutively numbered buildings.
_FRONT_ROW: list[tuple[int, Shape]] = [  # building number = index + 1; (grid, shape)
    (4, WALKUP_3),  # 1: 刘爷爷 (风桦)
    (2, TOWER_18_WIDE),  # 2: 张大爷 (李雪敏), 侯奶奶
    (5, WALKUP_4),  # 3: 郭爷爷 (美兰菊)
    (1, WALKUP_3),  # 4: 吴大娘 (郭婷)
    (3, TOWER_11),  # 5: 郝大爷 (陈瑞云)
    (6, WALKUP_4),  # 6
]
_BACK_ROWS: dict[int, list[Shape]] = {
    1: [WALKUP_5, WALKUP_5, WALKUP_4, WALKUP_4, WALKUP_3, TOWER_11, TOWER_11],
    2: [TOWER_18, TOWER_18, WALKUP_4, WALKUP_4, WALKUP_3],
    3: [POINT_11, TOWER_11, TOWER_11, WALKUP_5, WALKUP_4, WALKUP_4, WALKUP_4],
    4: [TOWER_18, TOWER_18, WALKUP_5, WALKUP_4, WALKUP_4, TOWER_11],
    5: [TOWER_18_WIDE, TOWER_18_WIDE, WALKUP_5, WALKUP_4],
    6: [TOWER_18, TOWER_18, WALKUP_5, WALKUP_5, WALKUP_3, WALKUP_3],
}


def _layout() -> list[tuple[int, int, Shape]]:
    """(building number, grid number, shape) for every building."""
    layout = [(index + 1, grid, shape) for index, (grid, shape) in enumerate(_FRONT_ROW)]
    for grid in sorted(_BACK_ROWS):
        for shape in _BACK_ROWS[grid]:
            layout.append((len(layout) + 1, grid, shape))
    return layout


STREET = _layout()
assert sum(shape.households for _, _, shape in STREET) == STREET_HOUSEHOLDS, "the layout does not add up"
# Behind the street, the tower built in 2015 (issue 14): one stair and lift, 33 floors of 12 doors (8 beside the
# lobby), 392 doors in grid 6, the one without a story (the stories' grids keep the numbers their tests count on).
# A volunteer sweeps a floor of 12 doors on one hand; the benchmarks use it too.
TOWER = (len(STREET) + 1, 6, Shape(33, 1, 12, ground_doors=8))
TOWER_NUMBER = TOWER[0]
BUILDINGS = [*STREET, TOWER]
BUILDING_GRID: dict[int, int] = {number: grid for number, grid, _ in BUILDINGS}
TOTAL_HOUSEHOLDS = sum(shape.households for _, _, shape in BUILDINGS)


# ---------------------------------------------------------------------------------------------------------------
# The people of the stories (DOMAIN.md). Relation and birth date are fixed; phone and ID number are generated.


@dataclass(frozen=True)
class StoryPerson:
    name: str
    sex: str
    birth_date: date
    relation: str
    status: str = "living"
    phone: str | None = None


STORY_HOUSEHOLDS: dict[str, list[StoryPerson]] = {
    # 1. 刘爷爷 and his wife: empty nest, the children live in another district.
    "1-2-501": [
        StoryPerson("刘建国", "M", date(1944, 3, 12), "head"),
        StoryPerson("王桂英", "F", date(1946, 1, 28), "spouse"),
    ],
    # 2. 侯奶奶 lives alone and needs medicine.
    "2-2-1202": [StoryPerson("侯秀兰", "F", date(1941, 8, 2), "head")],
    # 4. 郭爷爷 has trouble walking, fourth floor, no lift.
    "3-3-401": [StoryPerson("郭德胜", "M", date(1946, 5, 17), "head")],
    # 5. 吴大娘 is isolating at home; her son is still on the register but has moved out.
    "4-1-202": [
        StoryPerson("吴桂芝", "F", date(1955, 9, 9), "head"),
        StoryPerson("马晓东", "M", date(1980, 4, 3), "child", status="moved_out"),
    ],
    # 7. 张大爷 and his wife missed the test, busy with their grandson.
    "2-1-301": [
        StoryPerson("张国强", "M", date(1949, 6, 25), "head"),
        StoryPerson("李秀英", "F", date(1951, 10, 8), "spouse"),
        StoryPerson("张伟", "M", date(1977, 12, 1), "child"),
        StoryPerson("王丽娟", "F", date(1979, 7, 19), "other"),  # daughter-in-law
        StoryPerson("张浩然", "M", date(2018, 5, 6), "grandchild"),
    ],
    # 9. 郝大爷 has never ordered online; he has the demo resident account.
    "5-1-602": [StoryPerson("郝振华", "M", date(1950, 2, 14), "head", phone=RESIDENT_PHONE)],
}
STORY_DOORS: dict[str, str] = {person.name: door for door, people in STORY_HOUSEHOLDS.items() for person in people}
STORY_RESIDENT_IDS: dict[str, uuid.UUID] = {
    person.name: demo_uuid("resident", f"{door}/{index}")
    for door, people in STORY_HOUSEHOLDS.items()
    for index, person in enumerate(people)
}

# ---------------------------------------------------------------------------------------------------------------
# Generating the register (pure; no database)


@dataclass
class Person:
    name: str
    sex: str
    birth_date: date
    relation: str
    status: str = "living"
    phone: str | None = None
    id_number: str | None = None

    @property
    def age(self) -> int:
        return age_on(self.birth_date, REFERENCE_DATE)


@dataclass
class Home:
    building: int
    unit: int
    floor: int
    room: str
    kind: str
    people: list[Person] = field(default_factory=list)

    @property
    def door(self) -> str:
        return f"{self.building}-{self.unit}-{self.room}"

    @property
    def living(self) -> int:
        return sum(person.status == "living" for person in self.people)


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a Chinese resident ID (GB 11643)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


_MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
    "150", "151", "152", "155", "156", "157", "158", "159",
    "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188", "189",
    "191", "198", "199",
]  # fmt: skip

# Household kinds and how often they occur: tuned so the street's 2,265 doors hold about 7,000 people.
_KINDS: list[tuple[str, float]] = [
    ("single", 5.0),  # one adult under 60
    ("elderly_alone", 1.5),  # 独居老人
    ("young_couple", 6.0),
    ("empty_nest", 13.0),  # 空巢老人: two people over 60, children elsewhere
    ("middle_couple", 5.0),  # 45-59, the child away or gone
    ("family_1", 27.0),
    ("family_2", 11.0),
    ("three_generations", 11.0),
    ("with_parent", 8.0),  # a couple, their children and a widowed parent
    ("shared_rental", 3.0),
    ("single_parent", 3.0),
]


class _Maker:
    """Makes people: names by generation, unique phones and ID numbers."""

    def __init__(self, rng: random.Random, reserved_names: set[str]):
        self.rng = rng
        self.reserved_names = reserved_names
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()
        self._surnames = [surname for surname, _ in SURNAMES]
        self._surname_weights = [weight for _, weight in SURNAMES]

    def surname(self) -> str:
        return self.rng.choices(self._surnames, self._surname_weights)[0]

    def given_name(self, birth_year: int, sex: str) -> str:
        band = max(start for start in GIVEN_NAMES if start <= max(birth_year, min(GIVEN_NAMES)))
        return self.rng.choice(GIVEN_NAMES[band][sex])

    def birth_date(self, age: int) -> date:
        birthday = date(REFERENCE_DATE.year - age, REFERENCE_DATE.month, REFERENCE_DATE.day)
        return birthday - timedelta(days=self.rng.randint(0, 364))

    def phone(self) -> str:
        while True:
            number = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.phones and not number.startswith(_DEMO_PHONE_PREFIXES):
                self.phones.add(number)
                return number

    def id_number(self, birth_date: date, sex: str) -> str:
        while True:
            sequence = self.rng.randint(0, 499) * 2 + (1 if sex == "M" else 0)  # odd for men, even for women
            first17 = f"{REGION_CODE}{birth_date:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def has_phone(self, age: int) -> bool:
        if age < 10:
            return False
        chance = 0.3 if age < 14 else 0.8 if age < 18 else 0.97 if age < 75 else 0.85 if age < 85 else 0.6
        return self.rng.random() < chance

    def person(
        self,
        age: int,
        sex: str,
        relation: str,
        surname: str | None = None,
        status: str = "living",
    ) -> Person:
        age = max(0, min(age, 99))
        birth_date = self.birth_date(age)
        surname = surname or self.surname()
        while True:
            name = surname + self.given_name(birth_date.year, sex)
            if name not in self.reserved_names:
                break
        return Person(
            name=name,
            sex=sex,
            birth_date=birth_date,
            relation=relation,
            status=status,
            phone=self.phone() if self.has_phone(age) else None,
            id_number=self.id_number(birth_date, sex),
        )

    def story_person(self, person: StoryPerson) -> Person:
        if person.phone:
            self.phones.add(person.phone)
        age = age_on(person.birth_date, REFERENCE_DATE)
        return Person(
            name=person.name,
            sex=person.sex,
            birth_date=person.birth_date,
            relation=person.relation,
            status=person.status,
            phone=person.phone or (self.phone() if age >= 10 else None),
            id_number=self.id_number(person.birth_date, person.sex),
        )

    # -- households ------------------------------------------------------------------------------------------

    def couple(self, head_age: int, relation_of_head: str = "head") -> tuple[Person, Person]:
        """A married couple; the husband is the head of household nine times out of ten."""
        rng = self.rng
        wife_age = head_age - rng.choice([-2, -1, 0, 1, 1, 2, 2, 3, 3, 4, 5, 7])
        husband = self.person(head_age, "M", relation_of_head)
        wife = self.person(wife_age, "F", "spouse")
        if rng.random() < 0.1:
            husband.relation, wife.relation = "spouse", relation_of_head
        return husband, wife

    def children(
        self, mother_age: int, surname: str, count: int, relation: str = "child", max_age: int = 30
    ) -> list[Person]:
        rng = self.rng
        oldest = min(max_age, mother_age - 22)
        youngest = max(0, mother_age - 42)
        people = []
        for _ in range(count):
            age = rng.randint(youngest, max(youngest, oldest))
            status = "living"
            if relation == "child" and age >= 18:
                roll = rng.random()
                if age <= 23 and roll < 0.3:
                    status = "away"  # at university in another city
                elif age > 23 and roll < 0.12:
                    status = "away"  # works elsewhere
                elif age > 23 and roll < 0.3:
                    status = "moved_out"  # married, lives elsewhere, still on this register
            people.append(self.person(age, rng.choice("MF"), relation, surname=surname, status=status))
        return people

    def moved_out_child(self, parent_age: int, surname: str) -> Person:
        age = max(18, parent_age - self.rng.randint(24, 34))
        return self.person(age, self.rng.choice("MF"), "child", surname=surname, status="moved_out")

    def send_some_away(self, people: list[Person]) -> None:
        """Now and then an adult works in another city. Never leaves fewer than two people living at home."""
        for person in people:
            living = sum(p.status == "living" for p in people)
            if (
                living >= 3
                and person.relation != "head"
                and person.status == "living"
                and 18 <= person.age < 60
                and self.rng.random() < 0.06
            ):
                person.status = "away"

    def household(self, kind: str) -> list[Person]:
        rng = self.rng
        if kind == "single":
            return [self.person(rng.randint(22, 58), rng.choice("MMF"), "head")]
        if kind == "elderly_alone":
            head = self.person(rng.randint(63, 92), rng.choice("FFFM"), "head")
            people = [head]
            if rng.random() < 0.4:
                people.append(self.moved_out_child(head.age, self.surname()))
            return people
        if kind == "young_couple":
            return list(self.couple(rng.randint(24, 36)))
        if kind == "empty_nest":
            husband, wife = self.couple(rng.randint(63, 88))
            people = [husband, wife]
            if rng.random() < 0.35:
                people.append(self.moved_out_child(wife.age, husband.name[0]))
            return people
        if kind == "middle_couple":
            husband, wife = self.couple(rng.randint(47, 58))
            people = [husband, wife]
            roll = rng.random()
            if roll < 0.35:
                people += self.children(wife.age, husband.name[0], 1, max_age=24)
                people[-1].status = "away" if people[-1].age >= 18 else "living"
            elif roll < 0.55:
                people.append(self.moved_out_child(wife.age, husband.name[0]))
            return people
        if kind in ("family_1", "family_2"):
            husband, wife = self.couple(rng.randint(28, 50))
            count = 1 if kind == "family_1" else 2
            return [husband, wife, *self.children(wife.age, husband.name[0], count, max_age=26)]
        if kind == "three_generations":
            grandpa, grandma = self.couple(rng.randint(60, 84))
            family_name = grandpa.name[0]
            if rng.random() < 0.8:  # the son's family lives with his parents
                child = self.person(grandma.age - rng.randint(24, 32), "M", "child", surname=family_name)
                in_law = self.person(child.age - rng.randint(0, 4), "F", "other")
                mother_age, grandchild_surname = in_law.age, family_name
            else:  # the daughter's
                child = self.person(grandma.age - rng.randint(24, 32), "F", "child", surname=family_name)
                in_law = self.person(child.age + rng.randint(0, 4), "M", "other")
                mother_age, grandchild_surname = child.age, in_law.name[0]
            count = 1 if rng.random() < 0.75 else 2
            grandchildren = self.children(mother_age, grandchild_surname, count, "grandchild", max_age=16)
            return [grandpa, grandma, child, in_law, *grandchildren]
        if kind == "with_parent":
            husband, wife = self.couple(rng.randint(36, 56))
            head = husband if husband.relation == "head" else wife
            parent_age = min(95, head.age + rng.randint(24, 34))
            if rng.random() < 0.7:  # a widowed mother
                parent = self.person(parent_age, "F", "parent")
            else:
                parent = self.person(parent_age, "M", "parent", surname=head.name[0])
            count = 1 if rng.random() < 0.7 else 2
            return [husband, wife, *self.children(wife.age, husband.name[0], count, max_age=28), parent]
        if kind == "shared_rental":
            count = rng.choice([2, 2, 3])
            return [self.person(rng.randint(20, 34), rng.choice("MF"), "head")] + [
                self.person(rng.randint(20, 34), rng.choice("MF"), "other") for _ in range(count - 1)
            ]
        if kind == "single_parent":
            parent = self.person(rng.randint(30, 50), rng.choice("FFM"), "head")
            mother_age = parent.age if parent.sex == "F" else parent.age - 2
            return [parent, *self.children(mother_age, parent.name[0], 1, max_age=20)]
        raise ValueError(kind)


def build_register() -> list[Home]:
    """Every door of 铁北社区 with the people registered there. Deterministic."""
    rng = random.Random(RANDOM_SEED)
    reserved = set(STORY_DOORS) | {ADMIN_NAME, *GRID_WORKER_NAMES, *VOLUNTEER_NAMES}
    maker = _Maker(rng, reserved)
    homes = _homes_of(STREET, maker)
    _fit_building_2(homes, maker)
    # The tower's people come last, from the same maker (phones and ID numbers stay unique): the street's people
    # are the same with or without it.
    return homes + _homes_of([TOWER], maker)


def _homes_of(buildings: list[tuple[int, int, Shape]], maker: _Maker) -> list[Home]:
    kinds = [kind for kind, _ in _KINDS]
    weights = [weight for _, weight in _KINDS]
    homes: list[Home] = []
    for number, _grid, shape in buildings:
        for unit in range(1, shape.units + 1):
            for floor in range(1, shape.floors + 1):
                for door in range(1, shape.doors_on(floor) + 1):
                    home = Home(building=number, unit=unit, floor=floor, room=f"{floor}{door:02d}", kind="")
                    story = STORY_HOUSEHOLDS.get(home.door)
                    if story:
                        home.kind = "story"
                        home.people = [maker.story_person(person) for person in story]
                    else:
                        home.kind = maker.rng.choices(kinds, weights)[0]
                        home.people = maker.household(home.kind)
                        maker.send_some_away(home.people)
                    homes.append(home)
    return homes


def _fit_building_2(homes: list[Home], maker: _Maker) -> None:
    """Add or remove children in building 2 until exactly BUILDING_2_LIVING people live there (story 7)."""
    rng = maker.rng
    living = sum(home.living for home in homes if home.building == 2)
    building = [home for home in homes if home.building == 2 and home.kind != "story"]
    while living > BUILDING_2_LIVING:
        # A child leaves a household of three or more living people: nobody is left living alone.
        candidates = [
            home
            for home in building
            if home.living >= 3
            and any(p.relation in ("child", "grandchild") and p.status == "living" for p in home.people)
        ]
        home = rng.choice(candidates)
        leaving = [p for p in home.people if p.relation in ("child", "grandchild") and p.status == "living"][-1]
        home.people.remove(leaving)
        living -= 1
    while living < BUILDING_2_LIVING:
        # A young family has another child.
        candidates = [
            home
            for home in building
            if home.kind in ("family_1", "young_couple", "single_parent")
            and len(home.people) < 5
            and any(p.sex == "F" and p.relation in ("head", "spouse") and 24 <= p.age <= 42 for p in home.people)
        ]
        home = rng.choice(candidates)
        mother = next(p for p in home.people if p.sex == "F" and p.relation in ("head", "spouse"))
        father = next((p for p in home.people if p.sex == "M" and p.relation in ("head", "spouse")), mother)
        age = rng.randint(0, min(10, mother.age - 22))
        home.people.append(maker.person(age, rng.choice("MF"), "child", surname=father.name[0]))
        living += 1


# ---------------------------------------------------------------------------------------------------------------
# Writing it


def _place_rows() -> dict[type[Table], list[Table]]:
    district = District(id=DISTRICT_ID, city=CITY, name=DISTRICT_NAME)
    subdistrict = Subdistrict(id=SUBDISTRICT_ID, district=DISTRICT_ID, name=SUBDISTRICT_NAME)
    community = Community(id=COMMUNITY_ID, subdistrict=SUBDISTRICT_ID, name=COMMUNITY_NAME, address=COMMUNITY_ADDRESS)
    grids = [
        Grid(id=grid_id, community=COMMUNITY_ID, number=number, name=name)
        for number, (grid_id, name) in enumerate(zip(GRID_IDS, GRID_NAMES, strict=True), start=1)
    ]
    return {
        District: [district],
        Subdistrict: [subdistrict],
        Community: [community],
        Grid: grids,
        **_building_rows(BUILDINGS, build_register()),
    }


def _building_rows(buildings: list[tuple[int, int, Shape]], homes: list[Home]) -> dict[type[Table], list[Table]]:
    rows: dict[type[Table], list[Table]] = {Building: [], Unit: [], Household: [], Resident: []}
    for number, grid, shape in buildings:
        rows[Building].append(
            Building(
                id=demo_uuid("building", str(number)),
                community=COMMUNITY_ID,
                grid=GRID_IDS[grid - 1],
                number=number,
                name=f"{number}号楼",
                address=f"{COMMUNITY_NAME}{number}号楼",
            )
        )
        for unit in range(1, shape.units + 1):
            rows[Unit].append(
                Unit(
                    id=demo_uuid("unit", f"{number}-{unit}"),
                    building=demo_uuid("building", str(number)),
                    number=unit,
                    floors=shape.floors,
                )
            )
    for home in homes:
        household_id = demo_uuid("household", home.door)
        rows[Household].append(
            Household(
                id=household_id,
                community=COMMUNITY_ID,
                building=demo_uuid("building", str(home.building)),
                unit=demo_uuid("unit", f"{home.building}-{home.unit}"),
                floor=home.floor,
                room=home.room,
                door=home.door,
            )
        )
        for index, person in enumerate(home.people):
            rows[Resident].append(
                Resident(
                    id=demo_uuid("resident", f"{home.door}/{index}"),
                    community=COMMUNITY_ID,
                    household=household_id,
                    name=person.name,
                    sex=person.sex,
                    birth_date=person.birth_date,
                    phone=person.phone,
                    id_number=person.id_number,
                    relation=person.relation,
                    status=person.status,
                    created_at=SEEDED_AT,
                    updated_at=SEEDED_AT,
                )
            )
    return rows


def _account_specs() -> list[dict]:
    specs = [{"phone": ADMIN_PHONE, "name": ADMIN_NAME, "role": "admin"}]
    specs += [
        {"phone": phone, "name": name, "role": "grid_worker", "grid": grid_id}
        for phone, name, grid_id in zip(GRID_WORKER_PHONES, GRID_WORKER_NAMES, GRID_IDS, strict=True)
    ]
    specs += [
        {"phone": phone, "name": name, "role": "volunteer"}
        for phone, name in zip(VOLUNTEER_PHONES, VOLUNTEER_NAMES, strict=True)
    ]
    specs.append(
        {"phone": RESIDENT_PHONE, "name": "郝振华", "role": "resident", "resident": STORY_RESIDENT_IDS["郝振华"]}
    )
    return specs


SEEDED_TABLES: list[type[Table]] = [
    District,
    Subdistrict,
    Community,
    Grid,
    Building,
    Unit,
    Household,
    Resident,
    User,
    ElderProfile,
    Guide,
]


async def seed_demo() -> dict[str, int]:
    """Write 铁北社区 and the demo accounts where missing. Returns rows inserted per table name."""
    inserted = {table._meta.tablename: 0 for table in SEEDED_TABLES}
    # argon2 is slow by design: hash once, for every account, off the event loop.
    password_hash = await anyio.to_thread.run_sync(hash_password, DEMO_PASSWORD)
    # The starter guides' font subsets take seconds to make: made before the write transaction, not inside it.
    guides = None
    if not await Guide.exists().where(Guide.id == guides_seed.seeded()):
        guides = await guides_seed.guide_rows(
            community_id=COMMUNITY_ID,
            author={"id": demo_uuid("user", ADMIN_PHONE), "name": ADMIN_NAME, "phone": ADMIN_PHONE},
            hao={
                "resident_id": STORY_RESIDENT_IDS["郝振华"],
                "worker": {
                    "id": demo_uuid("user", GRID_WORKER_PHONES[2]),
                    "name": GRID_WORKER_NAMES[2],
                    "phone": GRID_WORKER_PHONES[2],
                },
            },
            font_path=get_settings().guide_font,
            at=SEEDED_AT,
        )
    async with write_transaction():
        if not await Community.exists().where(Community.id == COMMUNITY_ID):
            for table, rows in _place_rows().items():
                if table in (District, Subdistrict):  # may be shared with a community made by hand
                    query = table.select(table.id).where(table.id.is_in([row.id for row in rows]))
                    existing = {found["id"] for found in await query}
                    rows = [row for row in rows if row.id not in existing]
                inserted[table._meta.tablename] += await insert_in_chunks(table, rows)
                if table is Resident:
                    await index_residents([row.id for row in rows])
        elif not await Building.exists().where(Building.id == demo_uuid("building", str(TOWER_NUMBER))):
            # A demo database seeded before the tower was built (issue 14) gets it too, people and all.
            tower = [home for home in build_register() if home.building == TOWER_NUMBER]
            for table, rows in _building_rows([TOWER], tower).items():
                inserted[table._meta.tablename] += await insert_in_chunks(table, rows)
                if table is Resident:
                    await index_residents([row.id for row in rows])
        inserted[User._meta.tablename] += await insert_in_chunks(User, await _missing_accounts(password_hash))
        # Written by the demo admin and 郝大爷's grid worker: only where both demo accounts are theirs.
        authors = [demo_uuid("user", ADMIN_PHONE), demo_uuid("user", GRID_WORKER_PHONES[2])]
        if guides is not None and await User.count().where(User.id.is_in(authors)) == len(authors):
            inserted["guide"] = await guides_seed.insert_guide_rows(guides)
    from server.register.seed import seed_register  # the register builds on the places written above

    inserted[ElderProfile._meta.tablename] = await seed_register(COMMUNITY_ID, SEEDED_AT, STORY_RESIDENT_IDS)
    return inserted


async def _missing_accounts(password_hash: str) -> list[User]:
    specs = _account_specs()
    have = {row["phone"] for row in await User.select(User.phone).where(User.phone.is_in(DEMO_PHONES))}
    grids_taken = {row["grid"] for row in await User.select(User.grid).where(User.grid.is_in(GRID_IDS))}
    resident_ids = [spec["resident"] for spec in specs if spec.get("resident")]
    residents_present = {row["id"] for row in await Resident.select(Resident.id).where(Resident.id.is_in(resident_ids))}
    users = []
    for spec in specs:
        if spec["phone"] in have:
            continue
        grid = spec.get("grid")
        resident = spec.get("resident")
        users.append(
            User(
                id=demo_uuid("user", spec["phone"]),
                community=COMMUNITY_ID,
                phone=spec["phone"],
                name=spec["name"],
                role=spec["role"],
                # Someone else may hold the grid by now, or the register entry may be gone: then leave it empty.
                grid=grid if grid and grid not in grids_taken else None,
                resident=resident if resident in residents_present else None,
                password_hash=password_hash,
                is_active=True,
                is_demo=True,
                created_at=SEEDED_AT,
            )
        )
    return users
