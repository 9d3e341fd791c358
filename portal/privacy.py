"""Personal data masking (PIPL): the one place that decides how a phone or room is shown."""

import re


def mask_phone(phone: str | None) -> str:
    """13812345678 → 138****5678; short or odd values keep only their last two characters."""
    if not phone:
        return ""
    if len(phone) >= 7:
        return phone[:3] + "****" + phone[-4:]
    return "*" * (len(phone) - 2) + phone[-2:]


def mask_room(room: str | None) -> str:
    """1-502 → 1-5**: enough to tell neighbours apart on a list, not to find the door."""
    if not room:
        return ""
    keep = max(1, len(room) - 2)
    return room[:keep] + "*" * (len(room) - keep)


def mask_address(address: str | None) -> str:
    """An e-mail address or a phone number, as much as an administrator needs to tell them apart."""
    if not address:
        return ""
    if "@" in address:
        name, _, domain = address.partition("@")
        return (name[:1] + "***@" + domain) if name else "***@" + domain
    return mask_phone(address)


def mask_name(name: str | None) -> str:
    """王小明 → 王**, Li Wei → L*****: the family name's first character, enough to say "you"."""
    if not name:
        return ""
    return name[:1] + "*" * (len(name) - 1)


# A mainland mobile number inside free text, as people write it: 13711112222, 137 1111 2222,
# 137-1111-2222, +86 …, in full-width digits too; not part of a longer run of digits.
_D = "[0-9\uff10-\uff19]"
_MOBILE_IN_TEXT = re.compile(
    rf"(?<!{_D})(?:[+\uff0b]?[8\uff18][6\uff16][ -]?)?[1\uff11](?:[ .-]?{_D}){{10}}(?!{_D})"
)
_WIDE_DIGITS = str.maketrans({chr(0xFF10 + n): str(n) for n in range(10)})


def _mask_found(found: re.Match) -> str:
    digits = re.sub("[^0-9]", "", found.group().translate(_WIDE_DIGITS))[-11:]
    return mask_phone(digits)


def redact(text: str | None, *, names=(), phones=()) -> str | None:
    """Free text with the given names and phones masked, and any mobile number in it too: for
    text that leaves the portal (the Open311 API), where a resident's own words or a worker's
    update may carry them."""
    if not text:
        return text
    for phone in phones:
        if phone:
            text = text.replace(phone, mask_phone(phone))
    for name in names:
        if name and len(name.strip()) >= 2:
            text = text.replace(name.strip(), mask_name(name.strip()))
    return _MOBILE_IN_TEXT.sub(_mask_found, text)


def reporter_marks(case) -> tuple[list[str], list[str]]:
    """The names and phone number that identify a case's reporter, for redact(): what another
    resident or a representative reads masked."""
    names = [case.contact_name, case.reporter.name if case.reporter is not None else None]
    return [n for n in names if n], [p for p in (case.contact_phone,) if p]


def masked_for(text: str | None, case) -> str | None:
    """Text about a case as another resident or a representative reads it: its reporter's name
    and number masked, and any mobile number."""
    names, phones = reporter_marks(case)
    return redact(text, names=names, phones=phones)
