"""Personal data masking (PIPL): the one place that decides how a phone or room is shown."""


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
