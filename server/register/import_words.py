"""How the register import says a row's problem and a field's value, on the preview and the saved page alike: tables
of codes -> messages (issue 17: a 40-branch if/elif chain in a template). `say` translates (see
server/imports/words.py); the templates ask `import_problem(p)`, `import_value(field, value)`, `import_field(f)`,
`import_action(action)` (server/register/domain.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.imports.words import Say, field_word, part, reading_problem


def _(message: str) -> str:
    """Marks a message for the catalogs; it is said later, in the person's language."""
    return message


LIVING = {"alone": _("Lives alone"), "spouse": _("With spouse only"), "family": _("With family")}
MOBILITY = {"limited": _("Walks with difficulty"), "bedridden": _("Bedridden"), "good": _("Walks well")}
LABELS = {"contacts": _("Emergency contacts"), "priority": _("Priority"), "in_round": _("Daily call")}
SEX = {"M": _("Male"), "F": _("Female")}
# What saving does to a row's person (importing.Planned.action).
ACTIONS = {"new": _("new in the register"), "update": _("updated:"), "same": _("no change")}
SHOWN = 40  # characters of a long text the preview shows


def value_word(say: Say, field: str, value: str) -> str:
    """A value as the preview says it: words for codes, — for nothing yet, a long text cut short."""
    if not value:
        return "—"
    if field == "living":
        return say(LIVING.get(value, LIVING["family"]))
    if field == "mobility":
        return say(MOBILITY.get(value, MOBILITY["good"]))
    if field in ("priority", "in_round"):
        return say(_("yes")) if value == "yes" else say(_("no"))
    return value[:SHOWN] + "…" if len(value) > SHOWN else value


def action_word(say: Say, action: str) -> str:
    return say(ACTIONS.get(action, ACTIONS["same"]))


def field_label(say: Say, name: str) -> str:
    return say(LABELS[name]) if name in LABELS else field_word(say, name)


def _also(say: Say, p: Any) -> str:
    """The other changes of a row set aside, each as field old -> new (importing._also_not_applied)."""
    said = []
    for line in part(p, "known").split("\n"):
        field, old, new = (line.split("\t") + ["", "", ""])[:3]
        if field == "contact_added":
            said.append(say(_("new emergency contact %(contact)s"), contact=new))
        else:
            label = field_label(say, field)
            said.append(
                say(
                    _("%(field)s %(old)s → %(new)s"),
                    field=label,
                    old=value_word(say, field, old),
                    new=value_word(say, field, new),
                )
            )
    return say(
        _("This row's other changes are not applied either: %(changes)s. Make them in the profile by hand"),
        changes=say(_("; ")).join(said),
    )


def _sex(say: Say, code: str) -> str:
    return say(SEX["M"]) if code == "M" else say(SEX["F"])


def _changed(after_what: str) -> Callable[[Say, Any], str]:
    """A field changed here after the file (exported, or checked by this person): when, by whom, and both values
    where the change has them. `known` holds when, who, the register's value and the file's, tab-separated."""

    def said(say: Say, p: Any) -> str:
        when, who, old, new = (part(p, "known").split("\t") + ["", "", "", ""])[:4]
        field = part(p, "other")
        facts = {"field": field_label(say, field), "time": when, "who": who or say(_("someone"))}
        if old or new:
            return say(
                CHANGED[after_what][0], **facts, new=value_word(say, field, new), old=value_word(say, field, old)
            )
        return say(CHANGED[after_what][1], **facts)

    return said


CHANGED = {
    "exported": (
        _(
            "%(field)s was changed here on %(time)s by %(who)s, after this file was exported: the file says %(new)s, "
            "the register now %(old)s. Row not applied"
        ),
        _("%(field)s was changed here on %(time)s by %(who)s, after this file was exported. Row not applied"),
    ),
    "checked": (
        _(
            "%(field)s was changed here on %(time)s by %(who)s, after you checked this file: the file says %(new)s, "
            "the register now %(old)s. Row not applied"
        ),
        _("%(field)s was changed here on %(time)s by %(who)s, after you checked this file. Row not applied"),
    ),
    "unknown_when": (
        _(
            "%(field)s was changed here on %(time)s by %(who)s, and this file has lost the time it was exported: "
            "which is newer is not known. The file says %(new)s, the register %(old)s. Row not applied"
        ),
        _(
            "%(field)s was changed here on %(time)s by %(who)s, and this file has lost the time it was exported: "
            "which is newer is not known. Row not applied"
        ),
    ),
}
CONTACT_TOO_LONG = {
    "name": _("contact %(n)s: the name is longer than %(max)s characters"),
    "relation": _("contact %(n)s: the relation is longer than %(max)s characters"),
    "lives": _("contact %(n)s: where they live is longer than %(max)s characters"),
}


def _o(p: Any) -> str:
    return part(p, "other")


def _k(p: Any) -> str:
    return part(p, "known")


def _contact_too_long(say: Say, p: Any) -> str:
    which, limit = (_k(p).split("\t") + [""])[:2]
    return say(CONTACT_TOO_LONG.get(which, CONTACT_TOO_LONG["lives"]), n=_o(p), max=limit)


def _masked_other(say: Say, p: Any) -> str:
    number, owner, name = (_k(p).split("\t") + ["", "", ""])[:3]
    message = _("contact %(n)s: %(number)s is %(owner)s's number, not %(name)s's: write the number whole")
    return say(message, n=_o(p), number=number, owner=owner, name=name)


def _differs(hidden: str, shown: str) -> Callable[[Say, Any], str]:
    """A number that is not the register's: both masked; the same mask means they differ in the hidden digits."""

    def said(say: Say, p: Any) -> str:
        return say(hidden, known=_k(p)) if _o(p) == _k(p) else say(shown, new=_o(p), known=_k(p))

    return said


def _ambiguous(say: Say, p: Any) -> str:
    if _o(p) == "door_differs" and _k(p):
        message = _(
            "the register has this name at another door (%(doors)s), and no phone or ID number of the row confirms "
            "it is them: check the door"
        )
        return say(message, doors=_k(p))
    return say(_("could be more than one person: add the door or the ID number"))


# kind -> how it is said. A message alone has no parameters; (message, params) takes them from the problem; a
# function chooses among messages.
PROBLEMS: dict[str, Any] = {
    "ambiguous": _ambiguous,
    "unknown": _("not in your register: check the name and the door"),
    "repeated": (_("the same person as row %(other)s: keep one of the two rows"), lambda p: {"other": _o(p)}),
    "younger_than_elderly": (
        _("%(age)s years old, younger than 60: added, but not on the priority line unless you set it"),
        lambda p: {"age": _o(p)},
    ),
    "not_living": _("registered as away or moved out"),
    "birth_partial": _("only the year and month of birth: the birth date stays as it is"),
    "bad_date": _("birth date unreadable: write it like 1948-03-12"),
    "impossible_birth": _("this birth date cannot be right: not a real day, in the future, or more than 120 years ago"),
    "priority_unreadable": (
        _("priority line not understood (%(value)s): write 是 or 否"),
        lambda p: {"value": _o(p)},
    ),
    "living_unreadable": (
        _("living situation not understood (%(value)s): write alone, with spouse or with family"),
        lambda p: {"value": _o(p)},
    ),
    "mobility_unreadable": (
        _("walking not understood (%(value)s): write good, with difficulty or bedridden"),
        lambda p: {"value": _o(p)},
    ),
    "too_long": lambda say, p: say(_("too long: %(field)s"), field=field_word(say, _o(p))),
    "contact_too_long": _contact_too_long,
    "contact_name": (_("contact %(n)s has a phone number but no name"), lambda p: {"n": _o(p)}),
    "contact_unreachable": (
        _("contact %(n)s has no phone number: a relative must be reachable"),
        lambda p: {"n": _o(p)},
    ),
    "masked_other": _masked_other,
    "masked_unknown": (
        _("contact %(n)s: %(number)s is a hidden number none of this person's contacts has: write the number whole"),
        lambda p: {"n": _o(p), "number": _k(p)},
    ),
    "bad_phone": (_("contact %(n)s: the phone number has letters or too few digits"), lambda p: {"n": _o(p)}),
    "birth_vs_id": (
        _("birth date %(new)s, but the ID number says %(known)s: row not applied"),
        lambda p: {"new": _o(p), "known": _k(p)},
    ),
    "birth_differs": (
        _("birth date %(new)s, but the register says %(known)s: row not applied"),
        lambda p: {"new": _o(p), "known": _k(p)},
    ),
    "sex_vs_id": lambda say, p: say(
        _("sex %(new)s, but the ID number says %(known)s: row not applied"),
        new=_sex(say, _o(p)),
        known=_sex(say, _k(p)),
    ),
    "sex_differs": lambda say, p: say(
        _("sex %(new)s, but the register says %(known)s: row not applied"),
        new=_sex(say, _o(p)),
        known=_sex(say, _k(p)),
    ),
    "id_differs": _differs(
        _(
            "the ID number is not the register's: they differ in the hidden digits (both read %(known)s). Row not "
            "applied: check which is right"
        ),
        _("the ID number %(new)s is not the register's (%(known)s). Row not applied: check which is right"),
    ),
    "phone_differs": _differs(
        _(
            "the phone number is not the register's: they differ in the hidden digits (both read %(known)s). Row not "
            "applied: check which is right"
        ),
        _("the phone number %(new)s is not the register's (%(known)s). Row not applied: check which is right"),
    ),
    "changed_since": _changed("exported"),
    "changed_since_check": _changed("checked"),
    "changed_unknown_when": _changed("unknown_when"),
    "alone_vs_door": (
        _(
            "says lives alone, but the register has %(names)s living at this door too: row not applied. Check who "
            "lives there"
        ),
        lambda p: {"names": _k(p)},
    ),
    "alone_with_others": (
        _("says lives alone, but the register has %(names)s living at this door too: check who lives there"),
        lambda p: {"names": _k(p)},
    ),
    "also_not_applied": _also,
    "too_many_contacts": (_("more than %(n)s emergency contacts"), lambda p: {"n": _o(p)}),
}


def problem_words(say: Say, p: Any) -> str:
    """A row's problem in words; the kinds every list shares are said as a list's reading problems are."""
    how = PROBLEMS.get(part(p, "kind"))
    if how is None:
        return reading_problem(say, p)
    if isinstance(how, str):
        return say(how)
    if isinstance(how, tuple):
        return say(how[0], **how[1](p))
    return how(say, p)
