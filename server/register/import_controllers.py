"""Importing the register from a spreadsheet: upload, preview (nothing saved), save every applicable row at once.

The same multipart form as the reconciliation's (server.web.imports): the preview page carries the parsed file, so
that changing a column's field or saving needs no second upload. Admins import for the community, grid workers for
the grids they answer for; volunteers never come here (requires_register).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from server.imports.reader import ImportProblem
from server.register import import_pages, import_results, importing
from server.web import imports
from server.web.auth import client_address, current_user, requires_register, scope_of
from server.web.pages import render, settings_of, wants_fragment


def _skip_unknown(data: dict[str, Any]) -> bool:
    return data.get("skip_unknown") == "1"


def _index(
    request: Request,
    *,
    error: str | None = None,
    status_code: int = 200,
    saved: import_results.Result | None = None,
    not_imported: import_pages.ListPage | None = None,
    applied: import_pages.ListPage | None = None,
):
    return render(
        request,
        "register/import.html",
        status_code=status_code,
        error=error,
        saved=saved,
        not_imported=not_imported,
        applied=applied,
    )


# The lists of the preview that htmx may ask for alone (a page of one of them), by the id of their section.
_LISTS = {"problems": "register/_import_look.html", "planned": "register/_import_changes.html"}


def _preview_page(
    request: Request,
    preview: importing.Preview,
    data: dict[str, Any],
    *,
    conflict: bool = False,
    status_code: int = 200,
):
    """The preview, each of its long lists at the place the form asked for (a paging button, else where it was)."""
    look, change = import_pages.place(data, import_pages.LOOK), import_pages.place(data, import_pages.CHANGE)
    target = request.htmx.target if wants_fragment(request) else None
    return render(
        request,
        _LISTS.get(target or "", "register/import_preview.html"),
        status_code=status_code,
        preview=preview,
        look=import_pages.rows_to_look_at(preview, look),
        changes=import_pages.changing(preview, change),
        fields=importing.FIELDS,
        conflict=conflict,
    )


class RegisterImportController(Controller):
    path = "/register/import"
    guards = [requires_register]

    @get("/")
    async def index(self, request: Request) -> Template:
        """The upload form."""
        return _index(request)

    @get("/saved/{key:uuid}")
    async def saved(
        self,
        request: Request,
        key: FromPath[uuid.UUID],
        start: Annotated[str, QueryParameter(name="from")] = "",
        done: Annotated[str, QueryParameter(name="done")] = "",
    ) -> Template:
        """What an import saved (who, and what changed), and each row it did not import with the reason: for the
        person who imported."""
        result = await import_results.load(current_user(request), key)
        if result is None:
            raise NotFoundException()
        places = {import_pages.SAVED: start, import_pages.DONE: done}
        rows = import_pages.not_imported(result.rows, import_pages.place(places, import_pages.SAVED))
        applied = import_pages.saved_rows(result.applied, import_pages.place(places, import_pages.DONE))
        return _index(request, saved=result, not_imported=rows, applied=applied)

    @post("/preview", request_max_body_size=imports.MAX_REQUEST, opt=imports.LIST_OPT)
    async def preview(self, request: Request, data: imports.Multipart) -> Template:
        """Read the file (or the draft a preview carried) and show what saving would do. Saves nothing."""
        try:
            draft = await imports.read_draft(data)
        except ImportProblem as problem:
            return _index(
                request, error=imports.problem_text(request, problem), status_code=imports.problem_status(problem)
            )
        preview = await importing.preview(
            scope_of(request),
            draft,
            imports.column_choices(data, importing.FIELDS),
            settings_of(request).today(),
            _skip_unknown(data),
        )
        return _preview_page(request, preview, data)

    @post("/", request_max_body_size=imports.MAX_REQUEST, opt=imports.LIST_OPT)
    async def save(self, request: Request, data: imports.Multipart) -> Response:
        try:
            draft = await imports.read_draft(data)
            saved = await importing.save(
                current_user(request),
                scope_of(request),
                draft,
                imports.column_choices(data, importing.FIELDS),
                settings_of(request).today(),
                _skip_unknown(data),
                client_address(request),
            )
        except ImportProblem as problem:
            return _index(
                request, error=imports.problem_text(request, problem), status_code=imports.problem_status(problem)
            )
        except importing.ImportRefused as refused:
            # Problems found (a crafted form, or the register changed since the preview): the preview again.
            status = 409 if refused.conflict else 400
            return _preview_page(request, refused.preview, data, conflict=refused.conflict, status_code=status)
        return Redirect(f"/register/import/saved/{saved.id}", status_code=303)
