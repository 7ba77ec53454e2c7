"""How a list's columns and the common reasons a row cannot be read are said, as tables of codes -> messages (issue
17: chains of if/elif in templates). Framework-free: `say` translates a message into the person's language and fills in
its %(name)s parameters (server/web/templating.py gives templates these functions with `say` bound)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.imports.draft import MAX_NAME

Say = Callable[..., str]


def _(message: str) -> str:
    """Marks a message for the catalogs; it is said later, in the person's language."""
    return message


FIELDS = {
    "name": _("Full name"),
    "sex": _("Sex"),
    "id_number": _("ID number"),
    "phone": _("Phone"),
    "building": _("Building"),
    "unit": _("Unit"),
    "room": _("Room"),
    "address": _("Address"),
    "birth_date": _("Date of birth"),
    "relation": _("Relation"),
    "age": _("Age (not saved)"),
    "living": _("Living"),
    "mobility": _("Walking"),
    "priority": _("Priority line (一号专线)"),
    "conditions": _("Conditions"),
    "medicines": _("Regular medicines"),
    "interests": _("Interests"),
    "best_time": _("Best time to call"),
    "notes": _("Notes"),
}
CONTACT_PARTS = {
    "name": _("Contact %(n)s: name"),
    "relation": _("Contact %(n)s: relation"),
    "phone": _("Contact %(n)s: phone"),
    "lives": _("Contact %(n)s: where they live"),
}

# kind -> (message, its parameters from the problem)
READING: dict[str, tuple[str, Callable[[Any], dict]]] = {
    "duplicate": (_("the same as row %(other)s; counted once"), lambda p: {"other": part(p, "other")}),
    "name_too_long": (_("name too long: at most %(n)s characters"), lambda p: {"n": MAX_NAME}),
    "cannot_identify": (_("no name, phone or ID number"), lambda p: {}),
    "phone_unreadable": (_("phone number unreadable"), lambda p: {}),
    "id_unreadable": (_("ID number unreadable"), lambda p: {}),
    "door_unreadable": (_("address is not a whole door"), lambda p: {}),
}


def part(problem: Any, name: str) -> str:
    """A problem's field, whether it is a struct (the preview) or a dict (a saved import's rows, read back)."""
    return problem[name] if isinstance(problem, dict) else getattr(problem, name)


def field_word(say: Say, field: str) -> str:
    """A column's field as a person reads it: contact1_phone is 联系人1：电话."""
    if field.startswith("contact"):  # contact<n>_<part>
        number, _sep, part = field[len("contact") :].partition("_")
        return say(CONTACT_PARTS.get(part, CONTACT_PARTS["lives"]), n=number)
    return say(FIELDS[field])


def reading_problem(say: Say, problem: Any) -> str:
    """Why a row cannot be read, for the kinds every list shares; "" for a kind that is the domain's own."""
    found = READING.get(part(problem, "kind"))
    return say(found[0], **found[1](problem)) if found else ""
