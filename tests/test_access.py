"""Every route, as every role and as an anonymous visitor: the whole allowed/forbidden table.

A new route fails this test until it is added to ACCESS, so nobody ships a route without deciding who may use it.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from server.access.scope import CurrentUser, Scope
from server.accounts.tables import User
from server.demo.seed import COMMUNITY_ID, GRID_IDS, STORY_RESIDENT_IDS, demo_uuid
from server.errands.tables import ErrandPhoto
from server.guides.tables import Guide, GuideFont, GuideLink, GuideStep
from server.reconcile import services as reconcile
from server.sweeps.tables import Sweep
from tests.conftest import browser, log_in
from tests.guides.pictures import png_bytes
from tests.sweeps.test_routes import make_sweep
from tests.sweeps.test_team import join, make_code

ROLES = {
    "admin": "13800000000",
    "own_grid_worker": "13800000002",  # 第二网格: building 2 and door 2-1-301
    "other_grid_worker": "13800000001",  # 第一网格
    "volunteer": "13900000001",
    "resident": "13700000001",
}
# A guest who joined another sweep with its code (no password): the sample sweep is not theirs (issue 15).
SIGNED_IN = (*ROLES, "guest")
WHO = ("anonymous", *SIGNED_IN)

# Outcomes: ok = 2xx; login = sent to log in (303 to /login, or 401 from the API); forbidden = 403;
# missing = 404 (an id outside the user's scope is not admitted to exist); back = 303 somewhere else; bad = 401.
OPEN = dict.fromkeys(WHO, "ok")
REGISTER = {
    "anonymous": "login",
    "admin": "ok",
    "own_grid_worker": "ok",
    "other_grid_worker": "missing",
    "volunteer": "forbidden",
    "resident": "forbidden",
    "guest": "forbidden",
}
REGISTER_SEARCH = {**REGISTER, "other_grid_worker": "ok"}  # searching is allowed; the results are scoped
LOGGED_IN = {"anonymous": "login", **dict.fromkeys(SIGNED_IN, "ok")}
COORDINATORS = {**REGISTER_SEARCH}  # admins and grid workers
# Volunteers tick doors; residents see no sweep; a guest sees only the sweeps they joined.
SWEEP = {**REGISTER, "volunteer": "ok", "resident": "missing", "guest": "missing"}
CLOSING = {**SWEEP, "volunteer": "forbidden", "resident": "forbidden", "guest": "forbidden"}
GUIDE = REGISTER  # a personal guide of a resident of grid 2: writers who may see that resident
GUIDE_INVALID = {**GUIDE, "admin": "invalid", "own_grid_worker": "invalid"}  # posted without its fields
GUIDE_WRITE = {**GUIDE, "admin": "back", "own_grid_worker": "back"}
WORKERS = {**REGISTER_SEARCH, "other_grid_worker": "ok"}  # intake and money: every grid worker, for their own grid
ERRAND = {**REGISTER, "volunteer": "missing", "resident": "missing", "guest": "missing"}  # grid 2's, handed to nobody
RESIDENT_ONLY = {"anonymous": "login", **dict.fromkeys(SIGNED_IN, "forbidden"), "resident": "ok"}
ADMIN_ONLY = {"anonymous": "login", **dict.fromkeys(SIGNED_IN, "forbidden"), "admin": "ok"}

ACCESS: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/"): LOGGED_IN,
    ("GET", "/login"): {"anonymous": "ok", **dict.fromkeys(SIGNED_IN, "back")},
    ("POST", "/login"): dict.fromkeys(WHO, "bad"),  # posted with a wrong password
    ("POST", "/logout"): {"anonymous": "login", **dict.fromkeys(SIGNED_IN, "back")},
    ("POST", "/language"): dict.fromkeys(WHO, "back"),
    ("GET", "/grids/{grid_id:uuid}"): REGISTER,
    # handed to a random id, who is no grid worker: refused, nothing changed
    ("POST", "/grids/{grid_id:uuid}/handover"): {
        **REGISTER,
        "admin": "forbidden",
        "own_grid_worker": "forbidden",
        "other_grid_worker": "forbidden",
    },
    ("GET", "/buildings/{building_id:uuid}"): REGISTER,
    ("GET", "/buildings/{building_id:uuid}/units/{unit:int}/floors/{floor:int}"): REGISTER,
    ("GET", "/households/{household_id:uuid}"): REGISTER,
    ("GET", "/search"): REGISTER_SEARCH,
    ("GET", "/api/v1/me"): LOGGED_IN,
    ("GET", "/api/v1/community"): REGISTER_SEARCH,
    ("GET", "/api/v1/grids/{grid_id:uuid}/buildings"): REGISTER,
    ("GET", "/api/v1/buildings/{building_id:uuid}"): REGISTER,
    ("GET", "/api/v1/buildings/{building_id:uuid}/units/{unit:int}/floors/{floor:int}"): REGISTER,
    ("GET", "/api/v1/households/{household_id:uuid}"): REGISTER,
    ("GET", "/api/v1/residents"): REGISTER_SEARCH,
    ("GET", "/api/v1/csrf"): LOGGED_IN,
    ("POST", "/api/v1/sync"): LOGGED_IN,  # an empty batch; what each write may touch is checked per write
    ("GET", "/sweeps/new"): COORDINATORS,
    ("POST", "/sweeps"): {
        **COORDINATORS,
        "admin": "invalid",
        "own_grid_worker": "invalid",
        "other_grid_worker": "invalid",
    },  # posted empty: refused in words, as 400
    ("GET", "/sweeps/{sweep_id:uuid}"): SWEEP,
    ("GET", "/sweeps/{sweep_id:uuid}/export/{fmt:str}"): {**SWEEP, "volunteer": "missing"},
    ("GET", "/sweeps/{sweep_id:uuid}/doors/{household_id:uuid}"): {**SWEEP, "volunteer": "missing"},
    ("GET", "/sweeps/{sweep_id:uuid}/buildings/{building_id:uuid}/units/{unit:int}/floors/{floor:int}"): SWEEP,
    ("POST", "/sweeps/{sweep_id:uuid}/floor-ticks"): {
        **SWEEP,
        "admin": "back",
        "own_grid_worker": "back",
        "other_grid_worker": "forbidden",
        "volunteer": "forbidden",  # no claim on floor 3 (the claim route below is tried after)
        "resident": "forbidden",
        "guest": "forbidden",  # not their sweep
    },
    ("POST", "/sweeps/{sweep_id:uuid}/ticks"): {
        **SWEEP,
        "admin": "back",
        "own_grid_worker": "back",
        "other_grid_worker": "forbidden",
        "volunteer": "forbidden",
        "resident": "forbidden",
        "guest": "forbidden",
    },
    ("GET", "/join"): OPEN,
    ("POST", "/join"): dict.fromkeys(WHO, "invalid"),  # posted without a code
    ("GET", "/join/confirm"): dict.fromkeys(WHO, "back"),  # nothing typed that needs confirming: to /join
    ("GET", "/sweeps/{sweep_id:uuid}/invite"): {**SWEEP, "volunteer": "missing"},
    ("POST", "/sweeps/{sweep_id:uuid}/invites"): {
        **SWEEP,
        "admin": "back",
        "own_grid_worker": "back",
        "volunteer": "forbidden",
    },
    ("POST", "/sweeps/{sweep_id:uuid}/invites/{invite_id:uuid}/revoke"): {
        **SWEEP,
        "admin": "back",
        "own_grid_worker": "back",
        "volunteer": "forbidden",
    },
    # Floor 1 of unit 2-1: volunteers claim floors; coordinators hand claims over but hold none.
    ("POST", "/sweeps/{sweep_id:uuid}/claims"): {
        **SWEEP,
        "admin": "forbidden",
        "own_grid_worker": "forbidden",
        "volunteer": "back",
    },
    ("POST", "/sweeps/{sweep_id:uuid}/claims/{claim_id:uuid}/{action:str}"): {
        **SWEEP,
        "admin": "conflict",
        "own_grid_worker": "conflict",
        "volunteer": "conflict",
    },  # no such claim (any more): said as a conflict, nothing changed
    ("POST", "/sweeps/{sweep_id:uuid}/revisit"): {
        **SWEEP,
        "admin": "back",
        "own_grid_worker": "back",
        "volunteer": "forbidden",
        "resident": "forbidden",
        "guest": "forbidden",
    },
    # Closing: for coordinators who may close the sweep (grid 2's worker: it is all in grid 2). Posted without the
    # confirm step's "yes": the step is shown again (400), nothing closed; reopening an open sweep changes nothing.
    ("GET", "/sweeps/{sweep_id:uuid}/close"): CLOSING,
    ("POST", "/sweeps/{sweep_id:uuid}/close"): {**CLOSING, "admin": "invalid", "own_grid_worker": "invalid"},
    ("POST", "/sweeps/{sweep_id:uuid}/reopen"): {**CLOSING, "admin": "back", "own_grid_worker": "back"},
    ("GET", "/errands"): {**LOGGED_IN, "resident": "back"},  # scoped board; a resident goes to /ask
    ("GET", "/errands/new"): WORKERS,
    ("GET", "/errands/residents"): WORKERS,
    ("POST", "/errands"): {**WORKERS, "admin": "invalid", "own_grid_worker": "invalid", "other_grid_worker": "invalid"},
    ("GET", "/errands/{errand_id:uuid}"): ERRAND,
    # "I have called" on a new card: refused in words to those who may see it
    ("POST", "/errands/{errand_id:uuid}/actions"): {**ERRAND, "admin": "invalid", "own_grid_worker": "invalid"},
    ("POST", "/errands/{errand_id:uuid}/photos"): {**ERRAND, "admin": "invalid", "own_grid_worker": "invalid"},
    ("GET", "/errands/photos/{photo_id:uuid}"): ERRAND,
    ("GET", "/errands/money"): WORKERS,
    ("GET", "/ask"): RESIDENT_ONLY,
    ("POST", "/ask"): {**RESIDENT_ONLY, "resident": "invalid"},  # posted without choosing what
    ("GET", "/round"): REGISTER_SEARCH,  # each worker's own round
    ("GET", "/now"): REGISTER_SEARCH,  # each worker's own counts
    ("POST", "/round/calls"): {
        **REGISTER_SEARCH,
        "admin": "invalid",
        "own_grid_worker": "invalid",
        "other_grid_worker": "invalid",
    },
    ("POST", "/follow-ups/{card_id:uuid}/done"): {
        **REGISTER_SEARCH,
        "admin": "missing",
        "own_grid_worker": "missing",
        "other_grid_worker": "missing",
    },
    ("GET", "/residents/{resident_id:uuid}/profile"): REGISTER,
    ("GET", "/residents/{resident_id:uuid}/profile/edit"): REGISTER,
    ("GET", "/residents/{resident_id:uuid}/calls"): REGISTER,
    # posted with a version nobody saved: a conflict, nothing written
    ("POST", "/residents/{resident_id:uuid}/profile"): {**REGISTER, "admin": "conflict", "own_grid_worker": "conflict"},
    ("GET", "/residents/{resident_id:uuid}/phone"): REGISTER,
    ("GET", "/register/export.xlsx"): REGISTER_SEARCH,  # each their own grid's register
    ("GET", "/api/v1/round/phones"): {**REGISTER_SEARCH, "admin": "forbidden"},  # a grid worker's own round only
    ("GET", "/audit"): {**REGISTER, "own_grid_worker": "forbidden", "other_grid_worker": "forbidden"},
    ("GET", "/people"): ADMIN_ONLY,
    ("POST", "/people"): {**ADMIN_ONLY, "admin": "invalid"},  # posted without a name: refused in words
    # An id that is nobody's: no real account is touched by this table.
    ("POST", "/people/{user_id:uuid}/password"): {**ADMIN_ONLY, "admin": "missing"},
    ("POST", "/people/{user_id:uuid}/deactivate"): {**ADMIN_ONLY, "admin": "missing"},
    ("GET", "/register/import"): COORDINATORS,  # each imports for their own scope; volunteers never
    # Posted without a file or a draft: refused in words (400), nothing saved.
    ("POST", "/register/import/preview"): {
        **COORDINATORS,
        **dict.fromkeys(("admin", "own_grid_worker", "other_grid_worker"), "invalid"),
    },
    # An import's result is its importer's own: one nobody saved is missing for everyone who may import.
    ("GET", "/register/import/saved/{key:uuid}"): {
        **COORDINATORS,
        **dict.fromkeys(("admin", "own_grid_worker", "other_grid_worker"), "missing"),
    },
    ("POST", "/register/import"): {
        **COORDINATORS,
        **dict.fromkeys(("admin", "own_grid_worker", "other_grid_worker"), "invalid"),
    },
    ("GET", "/reconcile"): COORDINATORS,
    # Posted without a file or a draft: refused in words (400), nothing saved.
    ("POST", "/reconcile/preview"): {
        **COORDINATORS,
        **dict.fromkeys(("admin", "own_grid_worker", "other_grid_worker"), "invalid"),
    },
    ("POST", "/reconcile"): {
        **COORDINATORS,
        **dict.fromkeys(("admin", "own_grid_worker", "other_grid_worker"), "invalid"),
    },
    ("GET", "/reconcile/{rec_id:uuid}"): REGISTER,  # a reconciliation of grid 2's worker
    ("GET", "/reconcile/{rec_id:uuid}/export"): REGISTER,
    ("POST", "/reconcile/{rec_id:uuid}/reasons"): {**REGISTER, "admin": "back", "own_grid_worker": "back"},
    ("POST", "/reconcile/{rec_id:uuid}/rows/{row_id:uuid}/decide"): {
        **REGISTER,
        "admin": "invalid",
        "own_grid_worker": "invalid",
    },  # posted without a choice
    ("POST", "/reconcile/{rec_id:uuid}/rows/{row_id:uuid}/add"): {
        **REGISTER,
        "admin": "invalid",
        "own_grid_worker": "invalid",
    },  # posted without door and sex
    ("POST", "/reconcile/{rec_id:uuid}/revisit"): {**REGISTER, "admin": "back", "own_grid_worker": "back"},
    # The sample sweep is of households: only a sweep of each person can be reconciled (400) where it is visible.
    ("POST", "/reconcile/sweeps/{sweep_id:uuid}"): {**REGISTER, "admin": "invalid", "own_grid_worker": "invalid"},
    ("GET", "/guides"): COORDINATORS,
    ("GET", "/guides/new"): COORDINATORS,
    ("POST", "/guides"): {
        **COORDINATORS,
        "admin": "invalid",
        "own_grid_worker": "invalid",
        "other_grid_worker": "invalid",
    },
    ("GET", "/guides/{guide_id:uuid}"): GUIDE,
    ("POST", "/guides/{guide_id:uuid}"): GUIDE_INVALID,
    ("POST", "/guides/{guide_id:uuid}/steps"): GUIDE_INVALID,
    ("GET", "/guides/{guide_id:uuid}/steps/{step_id:uuid}"): GUIDE,
    ("POST", "/guides/{guide_id:uuid}/steps/{step_id:uuid}"): GUIDE_INVALID,
    ("GET", "/guides/{guide_id:uuid}/steps/{step_id:uuid}/picture"): GUIDE,
    # Deleting is asked for a step that does not exist (the sample step must live on for the next visitor).
    ("POST", "/guides/{guide_id:uuid}/steps/{step_id:uuid}/delete"): {
        **GUIDE,
        "admin": "missing",
        "own_grid_worker": "missing",
    },
    ("POST", "/guides/{guide_id:uuid}/steps/{step_id:uuid}/move"): GUIDE_WRITE,
    # Links are replaced and withdrawn on a second guide, so that the sample link keeps working.
    ("POST", "/guides/{guide_id:uuid}/link"): GUIDE_WRITE,
    ("POST", "/guides/{guide_id:uuid}/link/withdraw"): GUIDE_WRITE,
    ("GET", "/g/{token:str}"): OPEN,  # anyone holding the link
    ("GET", "/g/{token:str}/print"): OPEN,
    ("GET", "/g/{token:str}/manifest.webmanifest"): OPEN,
    ("GET", "/g/{token:str}/pictures/{step_id:uuid}"): OPEN,
    ("GET", "/guide-fonts/{name:str}"): OPEN,
    ("GET", "/static/{file_path:path}"): OPEN,
    ("GET", "/manifest.webmanifest"): OPEN,
    ("GET", "/sw.js"): OPEN,
    ("GET", "/offline"): OPEN,
    ("GET", "/healthz"): OPEN,
    # What the server refused of anyone's phone: one's own, and what one may act on (docs/decisions/0034). Settling
    # an id nobody has: missing, for everyone.
    ("GET", "/refused"): LOGGED_IN,
    ("POST", "/refused/{rejection_id:uuid}/settle"): {"anonymous": "login", **dict.fromkeys(SIGNED_IN, "missing")},
    ("GET", "/api/v1/schema"): LOGGED_IN,
    ("GET", "/api/v1/schema/{path:str}"): LOGGED_IN,
    ("GET", "/api/v1/schema/openapi.json"): LOGGED_IN,
}

SAMPLES = {
    "user_id": str(uuid.uuid4()),
    "key": str(uuid.uuid4()),  # an import's result nobody saved
    "grid_id": str(GRID_IDS[1]),
    "building_id": str(demo_uuid("building", "2")),
    "household_id": str(demo_uuid("household", "2-1-301")),
    "unit": "1",
    "floor": "3",
    "file_path": "css/app.css",
    "path": "openapi.json",
    "fmt": "csv",
    "invite_id": str(uuid.uuid4()),
    "claim_id": str(uuid.uuid4()),
    "action": "extend",
    "resident_id": str(STORY_RESIDENT_IDS["张国强"]),
    "card_id": str(uuid.uuid4()),
    "row_id": str(uuid.uuid4()),
    "rejection_id": str(uuid.uuid4()),
}
QUERIES = {"/search": "?q=张国强", "/api/v1/residents": "?q=张国强"}


async def sample_reconciliation():
    """A reconciliation of building 2 by grid 2's worker, from a list naming only 张国强."""
    worker = await User.select().where(User.phone == ROLES["own_grid_worker"]).first()
    user = CurrentUser(
        worker["id"], worker["community"], worker["name"], worker["phone"], "grid_worker", worker["grid"], None
    )
    draft = reconcile.draft_from_upload("姓名,住址\n张国强,2-1-301\n".encode(), "access.csv")
    scope = Scope(COMMUNITY_ID, (GRID_IDS[1],))
    return await reconcile.save(user, scope, draft, {}, [demo_uuid("building", "2")], datetime.now(UTC))


def concrete(path: str) -> str:
    return re.sub(r"{(\w+):\w+}", lambda m: SAMPLES[m.group(1)], path) + QUERIES.get(path, "")


def outcome(path: str, status: int, location: str) -> str:
    if status == 303:
        return "login" if location.startswith("/login") else "back"
    if status == 401:
        return "login" if path.startswith("/api/") else "bad"
    return {400: "invalid", 403: "forbidden", 404: "missing", 409: "conflict"}.get(
        status, "ok" if 200 <= status < 300 else f"HTTP {status}"
    )


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
    }


def test_every_route_is_in_the_table(app):
    assert app_routes(app) == set(ACCESS), "add the new route to ACCESS with who may use it"


async def outcomes_for(app, who: str) -> dict[tuple[str, str], str]:
    """What each route answers to one kind of visitor; the session's own log-out comes last."""
    got = {}
    async with browser(app) as client:
        if who == "anonymous":
            await client.get("/login")  # a CSRF cookie, as any browser would have
        elif who == "guest":
            assert (await join(client, SAMPLES["other_code"], name="访客", phone="15400000001")).status_code == 303
        else:
            assert (await log_in(client, ROLES[who])).status_code == 303
        for method, path in sorted(ACCESS, key=lambda key: key == ("POST", "/logout")):
            token = client.cookies.get("gc_csrf", "")
            if path.startswith("/guides/{guide_id:uuid}/link"):
                answer = await client.post(
                    concrete(path).replace(SAMPLES["guide_id"], SAMPLES["spare_guide_id"]),
                    data={"_csrf_token": token},
                    follow_redirects=False,
                )
            elif path.endswith("/delete"):
                answer = await client.post(
                    concrete(path).replace(SAMPLES["step_id"], str(uuid.uuid4())),
                    data={"_csrf_token": token},
                    follow_redirects=False,
                )
            elif (method, path) == ("POST", "/api/v1/sync"):
                answer = await client.post(path, json={"writes": []}, headers={"x-csrftoken": token})
            elif path.endswith("/reasons"):  # 李秀英 is missing from the sample reconciliation
                data = {"_csrf_token": token, "resident_id": str(STORY_RESIDENT_IDS["李秀英"]), "reason": "away"}
                answer = await client.post(concrete(path), data=data, follow_redirects=False)
            elif path.endswith("ticks"):  # a real tick of door 2-1-301, by form
                data = {"_csrf_token": token, "household_id": SAMPLES["household_id"], "back": "/"}
                if path.endswith("floor-ticks"):
                    data |= {"form_token": str(uuid.uuid4()), "outcome": "nobody_home"}
                else:
                    data |= {"tick_id": str(uuid.uuid4()), "outcome": "done"}
                answer = await client.post(concrete(path), data=data, follow_redirects=False)
            elif path.endswith("/claims"):
                data = {"_csrf_token": token, "unit_id": str(demo_uuid("unit", "2-1")), "floor_from": 1, "floor_to": 1}
                answer = await client.post(concrete(path), data=data, follow_redirects=False)
            elif path.endswith("/handover"):
                data = {"_csrf_token": token, "to_user": str(uuid.uuid4())}
                answer = await client.post(concrete(path), data=data, follow_redirects=False)
            elif path.endswith("/actions"):
                data = {"_csrf_token": token, "write_id": str(uuid.uuid4()), "action": "called"}
                answer = await client.post(concrete(path), data=data, follow_redirects=False)
            elif path.endswith("/profile") and method == "POST":
                data = {"_csrf_token": token, "version": "999", "living": "alone"}
                answer = await client.post(concrete(path), data=data, follow_redirects=False)
            elif method == "POST":
                # A wrong password for a phone of this visitor's own, so no rate limit is reached.
                data = {"_csrf_token": token, "phone": f"1660000000{WHO.index(who)}", "password": "x", "lang": "zh_CN"}
                answer = await client.post(concrete(path), data=data, follow_redirects=False)
            else:
                answer = await client.get(concrete(path), follow_redirects=False)
            got[(method, path)] = outcome(path, answer.status_code, answer.headers.get("location", ""))
    return got


async def _sample_guides(app) -> None:
    """Two personal guides for 张国强 (2-1-301, grid 2) by his grid worker; the first has a step with a picture."""
    async with browser(app) as client:
        await log_in(client, ROLES["own_grid_worker"])
        ids = []
        for title in ("access guide", "access spare"):
            answer = await client.post(
                "/guides/",
                data={
                    "_csrf_token": client.cookies["gc_csrf"],
                    "title": title,
                    "resident_id": str(STORY_RESIDENT_IDS["张国强"]),
                },
            )
            assert answer.status_code == 303, answer.text
            ids.append(answer.headers["location"].rsplit("/", 1)[-1])
        answer = await client.post(
            f"/guides/{ids[0]}/steps",
            data={"_csrf_token": client.cookies["gc_csrf"], "text": "打开微信"},
            files={"picture": ("screen.png", png_bytes(), "image/png")},
        )
        assert answer.status_code == 303, answer.text
    SAMPLES["guide_id"], SAMPLES["spare_guide_id"] = ids
    step = await GuideStep.select(GuideStep.id).where(GuideStep.guide == ids[0]).first()
    SAMPLES["step_id"] = str(step["id"])
    link = await GuideLink.select(GuideLink.token).where(GuideLink.guide == ids[0]).first()
    SAMPLES["token"] = link["token"]
    guide = await Guide.select(Guide.font_key).where(Guide.id == ids[0]).first()
    assert await GuideFont.exists().where(GuideFont.key == guide["font_key"])
    SAMPLES["name"] = f"{guide['font_key']}.woff2"


async def _sample_errand(app) -> None:
    """A card for 张国强 (2-1-301, grid 2) by his grid worker, with a photo."""
    async with browser(app) as client:
        await log_in(client, ROLES["own_grid_worker"])
        errand_id = str(uuid.uuid4())
        data = {"_csrf_token": client.cookies["gc_csrf"], "card_id": errand_id, "items": "米"}
        answer = await client.post("/errands", data=data | {"resident_id": SAMPLES["resident_id"]})
        assert answer.status_code == 303, answer.text
        answer = await client.post(
            f"/errands/{errand_id}/photos",
            data={"_csrf_token": client.cookies["gc_csrf"], "role": "receipt"},
            files={"photo": ("receipt.png", png_bytes(), "image/png")},
        )
        assert answer.status_code == 303, answer.text
    SAMPLES["errand_id"] = errand_id
    photo = await ErrandPhoto.select(ErrandPhoto.id).where(ErrandPhoto.errand == uuid.UUID(errand_id)).first()
    SAMPLES["photo_id"] = str(photo["id"])


async def test_access_table(app):
    async with browser(app) as client:  # an open sweep of building 2 (grid 2), made by its grid worker
        await log_in(client, ROLES["own_grid_worker"])
        await client.post(
            "/sweeps/",
            data={
                "_csrf_token": client.cookies["gc_csrf"],
                "name": "access",
                "day": "2022-11-24",
                "building_ids": SAMPLES["building_id"],
            },
        )
    SAMPLES["sweep_id"] = str((await Sweep.select(Sweep.id).where(Sweep.name == "access").first())["id"])
    async with browser(app) as client:  # another sweep, whose code the guest joined with
        SAMPLES["other_code"] = await make_code(client, await make_sweep(client, "access other"))
    SAMPLES["rec_id"] = str(await sample_reconciliation())
    await _sample_guides(app)
    await _sample_errand(app)
    wrong = []
    for who in WHO:
        got = await outcomes_for(app, who)
        for key, expected in ACCESS.items():
            if key == ("POST", "/logout") and expected[who] == "back":
                expected = {who: "login"}  # log-out sends you to the log-in page
            if got[key] != expected[who]:
                wrong.append(f"{key[0]} {concrete(key[1])} as {who}: expected {expected[who]}, got {got[key]}")
    assert not wrong, "\n".join(wrong)


async def test_a_code_in_an_admins_sweep_opens_no_more_than_its_makers_grids(app):
    """Issue 15, item 3: in an admin's sweep over grids 1 and 2, grid 2's worker sees and hands out codes that open
    grid 2 only; a guest who joined with one reaches nothing of grid 1, by page, claim or tick."""
    async with browser(app) as admin:
        await log_in(admin, ROLES["admin"])
        answer = await admin.post(
            "/sweeps/",
            data={
                "_csrf_token": admin.cookies["gc_csrf"],
                "name": "access two grids",
                "day": "2022-11-24",
                "building_ids": [str(demo_uuid("building", "2")), str(demo_uuid("building", "4"))],  # grids 2, 1
            },
        )
        sweep_id = answer.headers["location"].rsplit("/", 1)[1]
        admins_code = await make_code(admin, sweep_id)
    async with browser(app) as worker, browser(app) as guest:
        await log_in(worker, ROLES["own_grid_worker"])
        workers_code = await make_code(worker, sweep_id)
        invite_page = (await worker.get(f"/sweeps/{sweep_id}/invite")).text
        assert workers_code in invite_page and admins_code not in invite_page  # the admin's opens grid 1 too
        assert (await join(guest, workers_code, name="二格访客", phone="15400000002")).status_code == 303
        token = guest.cookies["gc_csrf"]
        grid_1, grid_2 = str(demo_uuid("building", "4")), str(demo_uuid("building", "2"))
        floor = f"/sweeps/{sweep_id}/buildings/{{}}/units/1/floors/1"
        got = {
            "progress": (await guest.get(f"/sweeps/{sweep_id}")).status_code,
            "floor of grid 2": (await guest.get(floor.format(grid_2))).status_code,
            "floor of grid 1": (await guest.get(floor.format(grid_1))).status_code,
            "claim in grid 1": (
                await guest.post(
                    f"/sweeps/{sweep_id}/claims",
                    data={
                        "_csrf_token": token,
                        "unit_id": str(demo_uuid("unit", "4-1")),
                        "floor_from": 1,
                        "floor_to": 1,
                    },
                )
            ).status_code,
            "tick in grid 1": (
                await guest.post(
                    f"/sweeps/{sweep_id}/ticks",
                    data={
                        "_csrf_token": token,
                        "tick_id": str(uuid.uuid4()),
                        "household_id": str(demo_uuid("household", "4-1-101")),
                        "outcome": "done",
                        "back": "/",
                    },
                    follow_redirects=False,
                )
            ).status_code,
            "invite page": (await guest.get(f"/sweeps/{sweep_id}/invite")).status_code,
            "export": (await guest.get(f"/sweeps/{sweep_id}/export/csv")).status_code,
        }
        assert "4号楼" not in (await guest.get(f"/sweeps/{sweep_id}")).text
    assert got == {
        "progress": 200,
        "floor of grid 2": 200,
        "floor of grid 1": 404,
        "claim in grid 1": 400,
        "tick in grid 1": 403,
        "invite page": 404,
        "export": 404,
    }
