"""Masking: enough of a record to recognise it, not enough to use it. Pages for those who may not see a record whole
show it through these; whole numbers appear only where the read is audited (docs/decisions/0003)."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """138****1234: enough to recognise a number, not enough to call it."""
    if not phone:
        return None
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_id_number(number: str | None) -> str:
    """140106********0042: the area and the last four, as a list masks it and as phones are masked (never the
    birth date in the middle); a number already masked or partial is shown as it was given."""
    if not number:
        return ""
    number = number.upper()
    if "*" in number:
        head, _, tail = number.partition("*")
        tail = tail.lstrip("*")
        return head + "*" * max(18 - len(head) - len(tail), 4) + tail
    if len(number) < 10:
        return number  # the last 4 or 6 a list gives: not the whole number
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_name(name: str | None) -> str | None:
    """张国强 > 张**: enough to knock on the right door, not enough to know who lives there."""
    return name[0] + "*" * (len(name) - 1) if name else None
