"""The people a register import matches its rows to: the scope's residents with their profiles and contacts, in
three queries whatever the size (importing.evaluate reads them, then works in a worker thread)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from server.access.scope import Scope
from server.places.tables import Resident
from server.register.tables import Contact, ElderProfile


@dataclass(slots=True)
class Person:
    id: uuid.UUID
    name: str
    household: uuid.UUID
    door: str
    building_number: int
    phone: str | None
    id_number: str | None
    status: str
    sex: str
    birth_date: date | None
    profile: dict | None = None
    contacts: list[dict] = field(default_factory=list)


async def load_people(scope: Scope) -> list[Person]:
    if scope.sees_nothing:
        return []
    query = Resident.select(
        Resident.id,
        Resident.name,
        Resident.household,
        Resident.household.door.as_alias("door"),
        Resident.household.building.number.as_alias("building_number"),
        Resident.phone,
        Resident.id_number,
        Resident.status,
        Resident.sex,
        Resident.birth_date,
    ).where(Resident.community == scope.community_id)
    query = scope.filter(query, Resident.household.building.grid)
    people = {row["id"]: Person(**row) for row in await query}
    for profile in await ElderProfile.select().where(ElderProfile.community == scope.community_id):
        if profile["resident"] in people:
            people[profile["resident"]].profile = profile
    for contact in (
        await Contact.select(Contact.id, Contact.profile, Contact.name, Contact.relation, Contact.phone, Contact.lives)
        .where(Contact.profile.community == scope.community_id)
        .order_by(Contact.position)
    ):
        person = people.get(contact.pop("profile"))
        if person is not None:
            person.contacts.append(contact)
    return list(people.values())
