"""A photo's time and identity (issue 16, a stranger's walk): a photo taken on a phone whose clock is wrong is kept at
the server's time of taking, as calls and ticks are (decision 0032); the same picture sent twice is one photo."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from server.db import as_datetime
from server.errands.tables import ErrandPhoto
from server.web.slow_bodies import ARRIVED
from tests.conftest import browser, csrf, log_in
from tests.errands.test_routes import HOU_WORKER, card_id_of, form, jpeg, new_card

NEAR = timedelta(seconds=5)  # the test's clock against the server's moment of arrival: the same machine


async def _stored_at(photo_id: uuid.UUID) -> datetime:
    row = await ErrandPhoto.select(ErrandPhoto.at).where(ErrandPhoto.id == photo_id).first()
    return as_datetime(row["at"])


async def test_a_photo_from_a_phone_whose_clock_is_off_is_kept_at_the_time_it_was_taken(app):
    """On main a photo was kept at the phone's time as it said (an hour-slow phone's photo an hour early) or, past a
    few minutes ahead, at its arrival (a fast phone's photo taken offline an hour before was kept as just taken).
    The outbox sends the phone's clock as it sends (sent_at); the server moves the taken time by how far it is off."""
    async with browser(app) as worker:
        await log_in(worker, HOU_WORKER)
        card_id = card_id_of(await new_card(worker))
        outbox = {**csrf(worker), "accept": "application/json"}

        async def send(taken_at: datetime, sent_at: datetime | str) -> uuid.UUID:
            photo_id = uuid.uuid4()
            sent = sent_at if isinstance(sent_at, str) else sent_at.isoformat()
            data = {"role": "delivery", "photo_id": str(photo_id), "taken_at": taken_at.isoformat(), "sent_at": sent}
            files = {"photo": (f"{photo_id}.jpg", jpeg(), "image/jpeg")}
            answer = await worker.post(f"/errands/{card_id}/photos", data=data, files=files, headers=outbox)
            assert (answer.status_code, answer.json()) == (200, {"status": "accepted"}), answer.text
            return photo_id

        hour_ago = datetime.now(UTC) - timedelta(hours=1)
        for off in (timedelta(hours=2), timedelta(minutes=12), -timedelta(hours=1), -timedelta(days=3)):
            # Taken an hour ago offline, on a clock `off` from the server's, and sent now on the same clock.
            photo = await send(hour_ago + off, datetime.now(UTC) + off)
            assert abs(await _stored_at(photo) - hour_ago) < NEAR, off

        # Within two minutes the phone's time is kept as it said (the way there is not a clock's error: 0032).
        near = datetime.now(UTC) - timedelta(minutes=10)
        photo = await send(near, datetime.now(UTC) + timedelta(seconds=90))
        assert abs(await _stored_at(photo) - near) < timedelta(milliseconds=1)

        # A clock put back between the photo and the sending: never later than its arrival.
        before = datetime.now(UTC)
        photo = await send(before + timedelta(hours=3), before + timedelta(hours=1))
        assert before <= await _stored_at(photo) <= datetime.now(UTC)

        # A sent_at no clock shows, or none (a page cached before this): the taken time as the phone said it.
        for odd in ("1960-01-01T00:00:00+00:00", "soon", ""):
            photo = await send(hour_ago, odd)
            assert abs(await _stored_at(photo) - hour_ago) < timedelta(milliseconds=1), odd


def test_a_photo_s_time_is_moved_by_the_clock_s_error_as_the_upload_began() -> None:
    """The skew is measured against the moment the upload began to arrive, not when its last byte did: a 10 MB
    photo on Slow 3G takes minutes, which would read as a slow clock."""
    from server.errands.photos import taken_time

    began = datetime(2022, 11, 24, 10, 0, tzinfo=UTC)
    done = began + timedelta(minutes=4)
    taken = datetime(2022, 11, 24, 9, 30, tzinfo=UTC)
    assert taken_time(taken, began, began, done) == taken  # a right clock, a slow upload: kept as said
    assert taken_time(taken + timedelta(hours=1), began + timedelta(hours=1), began, done) == taken
    assert taken_time(None, began, began, done) == done
    assert taken_time(datetime(9999, 12, 31, tzinfo=UTC), began - timedelta(days=3), began, done) == done
    assert taken_time(datetime(1, 1, 2, tzinfo=UTC), None, began, done) == done


def upload_taking(app, minutes: int):
    """The app, as if each photo's body took `minutes` to arrive after its headers (a 10 MB photo on Slow 3G):
    when the body is first asked for, the request's moment of arrival is moved back by as much. That moment must be
    set before (by the first middleware, as the headers are in), or this fails."""

    async def wrapped(scope, receive, send):
        moved = False

        async def late_receive():
            nonlocal moved
            if scope["path"].endswith("/photos") and not moved:
                scope["state"][ARRIVED] -= timedelta(minutes=minutes)
                moved = True
            return await receive()

        await app(scope, late_receive, send)

    return wrapped


async def test_a_photo_s_clock_is_compared_as_its_upload_began_not_once_it_is_in(app):
    """A phone with a right clock sends a photo on a slow signal: it says its clock as the upload begins, and the
    last byte arrives minutes later. Measured against that moment, the minutes on the way read as a slow clock and
    moved the photo's time (by the upload's length, past the two minutes' tolerance)."""
    async with browser(upload_taking(app, minutes=10)) as worker:
        await log_in(worker, HOU_WORKER)
        card_id = card_id_of(await new_card(worker))
        began = datetime.now(UTC) - timedelta(minutes=10)
        taken = began - timedelta(minutes=30)
        photo_id = uuid.uuid4()
        data = {
            "role": "delivery",
            "photo_id": str(photo_id),
            "taken_at": taken.isoformat(),
            "sent_at": began.isoformat(),
        }
        answer = await worker.post(
            f"/errands/{card_id}/photos",
            data=data,
            files={"photo": ("IMG_0004.jpg", jpeg(), "image/jpeg")},
            headers={**csrf(worker), "accept": "application/json"},
        )
        assert answer.status_code == 200, answer.text
        assert abs(await _stored_at(photo_id) - taken) < NEAR


async def test_the_same_picture_sent_twice_by_the_plain_form_is_stored_once(app):
    """Without the page's script a photo goes by the form; a double tap or the same picture picked again sent it
    twice, and the card kept two. Its id is made from the picture, the card, the role and the person, as the
    outbox makes its own: the second is the first."""
    async with browser(app) as worker:
        await log_in(worker, HOU_WORKER)
        card_id = card_id_of(await new_card(worker))

        async def send(picture: bytes, role: str = "delivery"):
            files = {"photo": ("IMG_0003.jpg", picture, "image/jpeg")}
            return await worker.post(
                f"/errands/{card_id}/photos", data=form(worker, role=role), files=files, follow_redirects=False
            )

        assert (await send(jpeg())).status_code == 303
        assert (await send(jpeg())).status_code == 303  # the page as after the first: nothing to say
        assert await ErrandPhoto.count().where(ErrandPhoto.errand == card_id) == 1
        assert (await send(jpeg((80, 60)))).status_code == 303  # another picture
        assert (await send(jpeg(), role="receipt")).status_code == 303  # the same picture as the receipt
        assert await ErrandPhoto.count().where(ErrandPhoto.errand == card_id) == 3
