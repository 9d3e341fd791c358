"""Printable A4 QR posters for the lobby of every compound and building: the code opens the
compound's filing form."""

import segno
from flask_babel import gettext as _
from markupsafe import Markup


def qr_svg(url: str) -> Markup:
    # Medium error correction survives a smudged or partly torn lobby poster.
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#000", light="#fff")
    return Markup(svg)


def poster_text() -> dict[str, str]:
    """What the poster says, in the language it is printed in (the page's: see
    web.PRINTED_IN_EITHER_LANGUAGE for how a poster is printed in the other one)."""
    return {
        "slogan": _("A party member nearby, service at zero distance"),
        "how": _(
            "Scan with your phone to tell the party branch about a problem in the compound. "
            "The branch, the property management and the resident representatives will "
            "follow it up, and you can see every step."
        ),
        "urgent": _("In an emergency call 110, 119 or 120 first."),
    }
