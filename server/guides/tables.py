"""Guides (采买攻略): step-by-step "how to order online" sheets that grid workers write for elderly residents."""

from piccolo.columns import UUID, Bytea, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from server.accounts.tables import User
from server.places.tables import Community, Resident


class Guide(Table):
    """Shared with the whole community (resident null), or personal: written for one resident."""

    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=True, default=None, index=True)
    title = Varchar(length=64)
    lang = Varchar(length=8, default="zh_CN")  # the language it is written in: zh_CN / en (read aloud in it)
    # Who to call, printed on the sheet and shown on every failure page: the author by default.
    contact_name = Varchar(length=32, default="")
    contact_phone = Varchar(length=20, default="")
    # The font subset holding every glyph of this guide and of the reading page (GuideFont.key), or "" without font.
    font_key = Varchar(length=40, default="")
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class GuideStep(Table):
    id = UUID(primary_key=True)
    guide = ForeignKey(Guide, on_delete=OnDelete.cascade, null=False, index=True)
    position = Integer()  # 1, 2, 3 ... in reading order
    text = Varchar(length=120)
    tip = Varchar(length=120, default="")
    # A photo of the phone's screen, resized on the server to a JPEG; kept in the database so that a write of a
    # step lands whole (text and picture) or not at all, on both databases alike.
    picture = Bytea(null=True, default=None)
    picture_width = Integer(default=0)
    picture_height = Integer(default=0)


class GuideLink(Table):
    """A link (and QR code) that opens a guide with no account. The token is the only key: 256 random bits.

    Withdrawing keeps the row, so that the withdrawn link can still say who to call.
    """

    id = UUID(primary_key=True)
    guide = ForeignKey(Guide, on_delete=OnDelete.cascade, null=False, index=True)
    token = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    withdrawn_at = Timestamptz(null=True, default=None)


class GuideFont(Table):
    """A font subset (WOFF2), keyed by a hash of the font file and of the characters it holds.

    Made when a guide is written, never when it is read; guides with the same characters share one.
    """

    key = Varchar(length=40, primary_key=True)
    woff2 = Bytea()
    glyphs = Integer()
    created_at = Timestamptz()
