"""What a row of the register import changes, as the preview says it: each field with its old and new value, a
contact added beside those kept, numbers masked (decision 0023)."""

from __future__ import annotations

from datetime import date

import msgspec

from server.access.masks import mask_phone


class Change(msgspec.Struct, kw_only=True):
    """A field a row changes, as the preview says it: "居住情况: 与家人同住 -> 独居". Values as stored (codes,
    "yes"/"no", ISO dates; contacts as names with masked numbers); "" for nothing yet. A contact added is the field
    "contact_added": `new` the contact, `old` the names of those kept beside it."""

    field: str
    old: str
    new: str


def _said(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _contacts_said(contacts: list[dict] | None, whole: bool = False) -> str:
    """Contacts as a preview names them: the number masked, as on every page (decision 0023); where they live in
    brackets, so that a change of it alone is seen (a stranger's 住在哪里 changed unsaid, issue 16). `whole`: the
    number as the file gives it (a new number behind the same mask as the old one read as unchanged)."""
    return "；".join(
        " ".join(
            part for part in (c["name"], c["relation"], (c["phone"] if whole else mask_phone(c["phone"])) or "") if part
        )
        + (f"（{c['lives']}）" if c.get("lives") else "")
        for c in contacts or []
    )


def diffs(plan) -> list[Change]:
    """Each field an importing.Plan changes, with its old and new value as the preview says them."""
    current, person = plan.person.profile, plan.person
    out = []
    for name in plan.changes:
        if name == "contacts":
            # An import adds contacts or updates one it names (or whose masked number it gives), never removes one:
            # a contact added is said as added, with those kept (a stranger read "紧急联系人：— → 陈小兵" as the
            # first contact replaced); one changed as old -> new.
            for contact in plan.contacts or []:
                if contact in person.contacts:
                    continue
                was = next((c for c in person.contacts if "id" in contact and c["id"] == contact["id"]), None)
                if was is None:
                    # kept: only those the row leaves as they are ("原有的王小红不变" of one it changed was false)
                    kept = "、".join(c["name"] for c in person.contacts if c in (plan.contacts or []))
                    out.append(Change(field="contact_added", old=kept, new=_contacts_said([contact])))
                else:
                    hidden = was["phone"] != contact["phone"] and mask_phone(was["phone"]) == mask_phone(
                        contact["phone"]
                    )
                    out.append(
                        Change(field=name, old=_contacts_said([was]), new=_contacts_said([contact], whole=hidden))
                    )
        elif name == "birth_date":
            out.append(Change(field=name, old=_said(person.birth_date), new=_said(plan.birth)))
        else:
            old = current[name] if current is not None else None
            out.append(Change(field=name, old=_said(old), new=_said(plan.values[name])))
    return out
