"""Matching a 100,000-row list against a 100,000-resident register (issue 4), against a plain dict join.

The baseline is the least any matcher must do: a dict from the register's (name, door) keys and one lookup per
row of the same keys. The matcher does that and more (people sharing a name at a door, phones and ID numbers that
must not disagree, people on the list twice). Both are measured here, in this run; issue 4 asks for <= 1 s and
<= 3x the baseline. Normalising the list's text is measured apart: it is done once per upload, before matching.
"""

from __future__ import annotations

import gc
import random
import statistics
import time

from server.imports.matching import Listed, Matcher, Registered
from server.imports.normalize import door_key, id_key, name_key, phone_key

SIZE = 100_000
ROUNDS = 9
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def make(size: int = SIZE, seed: int = 4) -> tuple[list[Registered], list[Listed], list[tuple[int, str, str, str]]]:
    rng = random.Random(seed)
    register, raw = [], []
    for i in range(size):
        building, unit, floor, door = 1 + i // 400, 1 + (i // 100) % 4, 1 + (i // 4) % 25, 1 + i % 4
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        phone = f"13{rng.randint(0, 999_999_999):09d}"
        id_number = f"140109{rng.randint(1930, 2020)}0101{rng.randint(0, 9999):04d}"
        register.append(Registered(name, f"{building}-{unit}-{floor}{door:02d}", building, phone, id_number))
        # How lists write it: "2号楼1单元301", a masked phone for half of them, the last 6 of the ID for some.
        listed_phone = phone[:3] + "****" + phone[-4:] if i % 2 else phone
        raw.append((i + 2, name, f"{building}号楼{unit}单元{floor}{door:02d}", listed_phone, id_number[-6:]))
    rng.shuffle(raw)
    rows = [
        Listed(line, name_key(name), door_key(door), None, phone_key(phone), id_key(id_number))
        for line, name, door, phone, id_number in raw
    ]
    return register, rows, raw


def _timed(fn) -> float:
    """CPU time of this process, collector off (as timeit does): the machine's other jobs do not count."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        fn()
        return time.process_time() - start
    finally:
        gc.enable()


def _interleaved(*fns) -> list[tuple[float, float]]:
    """Best and median of each, run in turns: the other engineers' jobs on this machine slow both alike."""
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(ROUNDS):
        for fn, times in zip(fns, samples, strict=True):
            times.append(_timed(fn))
    return [(min(times), statistics.median(times)) for times in samples]


def run() -> None:
    register, rows, raw = make()
    register_keys = [person.key for person in register]
    row_keys = [row.key for row in rows]

    def dict_join():
        index = dict(zip(register_keys, range(len(register_keys)), strict=True))
        return [index.get(key) for key in row_keys]

    def matcher():
        return Matcher(register).match_positions(rows)

    def normalise():
        return [
            Listed(line, name_key(name), door_key(door), None, phone_key(phone), id_key(id_number))
            for line, name, door, phone, id_number in raw
        ]

    matched = sum(resident >= 0 for resident in matcher()[0])
    assert matched == SIZE, matched
    (base, base_median), (cost, cost_median) = _interleaved(dict_join, matcher)
    norm = min(_timed(normalise) for _ in range(3))
    print(f"matching {SIZE:,} rows against {SIZE:,} residents (best of {ROUNDS} in turns, median in brackets):")
    print(f"  plain dict join of the same keys: {base * 1000:7.1f} ms ({base_median * 1000:.1f})")
    print(f"  matcher (all {matched:,} matched):   {cost * 1000:7.1f} ms ({cost_median * 1000:.1f})")
    print(f"  ratio matcher / dict join: {cost / base:.2f} (issue 4 asks <= 3.0, and <= 1 s)")
    print(f"  normalising the list's text first: {norm * 1000:.0f} ms ({norm / base:.1f} x the dict join)")


if __name__ == "__main__":
    run()
