"""The demo community's register of elderly residents: those living alone or with a spouse only, as a community
office would have written them down, and the people of the stories as the stories tell them. Deterministic."""

from __future__ import annotations

import hashlib
import uuid

from server.db import insert_in_chunks, write_transaction
from server.places.services import elderly_cutoff
from server.places.tables import Resident
from server.register.services import auto_priority
from server.register.tables import Contact, ElderProfile

INTERESTS = ("下象棋", "听评书", "养花", "唱晋剧", "打太极", "看新闻", "写毛笔字", "带孙子", "包饺子", "听收音机")
BEST_TIMES = ("上午九点以后", "午饭后", "下午三点左右", "晚饭前", "")
CONTACT_KINDS = (("儿子", "太原市小店区"), ("女儿", "北京"), ("女儿", "本小区"), ("儿子", "上海"), ("侄子", "晋中"))
# The stories (DOMAIN.md): 郭爷爷 has trouble walking and is called every day; 侯奶奶 lives alone.
STORIES = {
    "郭德胜": {"mobility": "limited", "interests": "下象棋、听评书", "best_time": "上午十点", "conditions": "高血压"},
    "侯秀兰": {"living": "alone", "medicines": "降压药（硝苯地平）", "interests": "养花"},
    "刘建国": {"interests": "看新闻"},
    "郝振华": {"interests": "听收音机"},
}


def _pick(key: uuid.UUID, salt: str, options: tuple):
    digest = hashlib.sha256(f"{key}:{salt}".encode()).digest()
    return options[digest[0] % len(options)]


async def seed_register(community_id: uuid.UUID, seeded_at, story_ids: dict[str, uuid.UUID]) -> int:
    """Profiles and contacts for the community, unless it has some already. Returns the profiles made."""
    if await ElderProfile.exists().where(ElderProfile.community == community_id):
        return 0
    cutoff = elderly_cutoff(seeded_at.date())
    living = await Resident.select(Resident.id, Resident.household, Resident.birth_date, Resident.name).where(
        (Resident.community == community_id) & (Resident.status == "living")
    )
    homes: dict[uuid.UUID, list[dict]] = {}
    for person in living:
        homes.setdefault(person["household"], []).append(person)
    story_by_id = {resident_id: name for name, resident_id in story_ids.items()}
    profiles, contacts = [], []
    for people in homes.values():
        elderly = [p for p in people if p["birth_date"] and p["birth_date"] <= cutoff]
        in_register = len(people) <= 2 and len(elderly) == len(people)
        for person in elderly:
            story = STORIES.get(story_by_id.get(person["id"], ""), None)
            if not in_register and story is None:
                continue
            values = {
                "living": "alone" if len(people) == 1 else "spouse" if len(people) == 2 else "family",
                "mobility": "limited" if _pick(person["id"], "mobility", range(8)) == 0 else "good",
                "interests": _pick(person["id"], "interests", INTERESTS),
                "best_time": _pick(person["id"], "time", BEST_TIMES),
                **(story or {}),
            }
            priority = auto_priority(values["living"], values["mobility"])
            profiles.append(
                ElderProfile(
                    id=person["id"],
                    community=community_id,
                    resident=person["id"],
                    priority=priority,
                    in_round=priority,
                    updated_at=seeded_at,
                    **values,
                )
            )
            relation, lives = _pick(person["id"], "contact", CONTACT_KINDS)
            digits = int.from_bytes(hashlib.sha256(f"{person['id']}:phone".encode()).digest()[:4], "big") % 10**8
            contacts.append(
                Contact(
                    profile=person["id"],
                    name=person["name"][0]
                    + _pick(
                        person["id"],
                        "given",
                        ("丽华", "海燕", "秀梅") if relation == "女儿" else ("建军", "志强", "伟"),
                    ),
                    relation=relation,
                    phone=f"139{digits:08d}",
                    lives=lives,
                )
            )
    async with write_transaction():
        await insert_in_chunks(ElderProfile, profiles)
        await insert_in_chunks(Contact, contacts)
    return len(profiles)
