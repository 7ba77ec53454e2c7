"""Building sweeps (扫楼): what is swept, every tick from the doors, and each door's state derived from them."""

from piccolo.columns import (
    UUID,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from server.accounts.tables import User
from server.places.tables import Building, Community, Household, Resident, Unit


class Sweep(Table):
    id = UUID(primary_key=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, null=False, index=True)
    name = Varchar(length=64)
    purpose = Varchar(length=256, default="")
    day = Date()
    subject = Varchar(length=16, default="households")  # households / persons
    status = Varchar(length=16, default="open")  # open / closed
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    created_at = Timestamptz()
    # The last close (cleared on reopening): ticks received after it are counted apart (docs/decisions/0011).
    closed_at = Timestamptz(null=True, default=None)
    closed_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    # A revisit sweep names the sweep whose open doors it goes back to.
    follows = ForeignKey("self", on_delete=OnDelete.set_null, null=True, default=None)
    # The last tick (SweepTick.seq) whose effect is in DoorState: states are folded in on read (services.fold).
    folded_seq = BigInt(default=0)


class SweepArea(Table):
    """A building (unit and household null), one unit of it, or one door (a revisit), in the sweep."""

    id = UUID(primary_key=True)
    sweep = ForeignKey(Sweep, on_delete=OnDelete.cascade, null=False, index=True)
    building = ForeignKey(Building, on_delete=OnDelete.restrict, null=False)
    unit = ForeignKey(Unit, on_delete=OnDelete.restrict, null=True, default=None)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, null=True, default=None)


class SweepInvite(Table):
    """A short code (and its QR code) that lets volunteers join one sweep, for a limited time, until revoked."""

    id = UUID(primary_key=True)
    sweep = ForeignKey(Sweep, on_delete=OnDelete.cascade, null=False, index=True)
    code = Varchar(length=8, unique=True)
    created_by = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    # What the code opens: the grids its maker answered for when making it (a grid worker's code in an admin's sweep
    # over several grids opens their own part only), comma-separated ids; "" for the whole sweep (an admin's code).
    grids = Text(default="")


class JoinRequest(Table):
    """Someone joined with a live code and the phone number of a guest of the community, on a phone that cannot
    prove it is theirs (a new phone, a cleared browser). The code's coordinator sees a one-time code for that guest
    on the invite page and tells it, in person, to the right one (docs/decisions/0019)."""

    id = UUID(primary_key=True)
    invite = ForeignKey(SweepInvite, on_delete=OnDelete.cascade, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    code = Varchar(length=8)
    typed_name = Varchar(length=32, default="")  # the name given with the request, if not the guest's own
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class SweepMember(Table):
    """A volunteer who joined a sweep with its code (or claimed floors of it while logged in). The id is
    uuid5(sweep, user): one row per person and sweep."""

    id = UUID(primary_key=True)
    sweep = ForeignKey(Sweep, on_delete=OnDelete.cascade, null=False, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, index=True)
    # The code they last joined with: withdrawing it can sign its guests out (docs/decisions/0011).
    invite = ForeignKey(SweepInvite, on_delete=OnDelete.set_null, null=True, default=None)
    joined_at = Timestamptz()
    # Signed out by a coordinator with the code they joined by; joining again with a live code clears it.
    ended_at = Timestamptz(null=True, default=None)


class SweepClaim(Table):
    """A volunteer's hold on floors of one unit, so that two people do not climb the same stairs.

    Expires by itself (expires_at), or ends when released or handed to someone else (ended_at). The holder's ticks
    count even after it ends: work done offline is never thrown away because the claim ran out meanwhile.
    """

    id = UUID(primary_key=True)
    sweep = ForeignKey(Sweep, on_delete=OnDelete.cascade, null=False, index=True)
    holder = ForeignKey(User, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(Unit, on_delete=OnDelete.restrict, null=False)
    floor_from = Integer()
    floor_to = Integer()
    claimed_at = Timestamptz()
    expires_at = Timestamptz()
    ended_at = Timestamptz(null=True, default=None)
    ended_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    end_reason = Varchar(length=16, default="")  # released / reassigned / closed (the sweep) / signed_out


class SweepTick(Table):
    """Append-only: every outcome a volunteer recorded at a door, in the order the server received them."""

    seq = BigSerial(primary_key=True)  # the server's sequence: arrival order, which decides ties
    id = UUID(unique=True)  # made by the phone; a write sent twice is stored once
    content_hash = Varchar(length=64)
    # One index on (sweep, seq), made by a migration (Piccolo declares single columns only): it serves a sweep's
    # ticks and the fold of its new ones, and a batch's ticks land together at its end, in a page or two. Nothing
    # reads one door's ticks: its DoorState remembers what is read per door (decision 0007).
    sweep = ForeignKey(Sweep, on_delete=OnDelete.restrict, null=False)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, null=False)
    resident = ForeignKey(Resident, on_delete=OnDelete.restrict, null=True, default=None)  # person sweeps
    outcome = Varchar(length=16)
    note = Text(default="")
    help_needed = Text(default="")  # what help a "needs help" door asked for; errands turn it into a card
    # Sent by "nobody home on the whole floor": stands only at a door nobody recorded one by one (decision 0020).
    bulk = Boolean(default=False)
    # No index: nothing looks ticks up by volunteer alone, and every index costs each batch of ticks.
    volunteer = ForeignKey(User, on_delete=OnDelete.restrict, null=False)
    device_time = Timestamptz()
    received_at = Timestamptz()


class DoorState(Table):
    """Derived from SweepTick by sweeps.rules.door_state; brought up to date with the sweep's new ticks whenever the
    sweep is read (services.fold_door_states), so that storing a batch of ticks writes the ticks alone. Its memory
    holds what the rule needs of the door's ticks, so that a fold reads the new ones only.

    The id is uuid5(sweep, household), so that each door has one row without a two-column unique constraint. An
    index on (sweep, household), made by a migration, serves the door screen's read of a whole unit.
    """

    id = UUID(primary_key=True)
    sweep = ForeignKey(Sweep, on_delete=OnDelete.cascade, null=False, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, null=False)
    outcome = Varchar(length=16)  # "" while its ticks give no state (only people no longer living there)
    tick_seq = Integer()  # the tick that decided it
    ticks = Integer()
    conflict = Boolean(default=False)
    memory = Text(default="")  # rules.DoorMemory as JSON: each volunteer's last word, each person's, last note
    updated_at = Timestamptz()
