"""Importing the register from a spreadsheet: upload, preview (nothing saved), save every row or none.

The same multipart form as the reconciliation's (server.web.imports): the preview page carries the parsed file, so
that changing a column's field or saving needs no second upload. Admins import for the community, grid workers for
the grids they answer for; volunteers never come here (requires_register).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from server.imports.reader import ImportProblem
from server.register import import_results, importing
from server.web import imports
from server.web.auth import client_address, current_user, requires_register, scope_of
from server.web.pages import render, settings_of


def _skip_unknown(data: dict[str, Any]) -> bool:
    return data.get("skip_unknown") == "1"


def _index(
    request: Request,
    *,
    error: str | None = None,
    status_code: int = 200,
    saved: import_results.Result | None = None,
):
    return render(request, "register/import.html", status_code=status_code, error=error, saved=saved)


def _preview_page(request: Request, preview: importing.Preview, *, conflict: bool = False, status_code: int = 200):
    return render(
        request,
        "register/import_preview.html",
        status_code=status_code,
        preview=preview,
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
    async def saved(self, request: Request, key: FromPath[uuid.UUID]) -> Template:
        """What an import saved, and each row it did not import with the reason: for the person who imported."""
        result = await import_results.load(current_user(request), key)
        if result is None:
            raise NotFoundException()
        return _index(request, saved=result)

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
        return _preview_page(request, preview)

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
            return _preview_page(request, refused.preview, conflict=refused.conflict, status_code=status)
        return Redirect(f"/register/import/saved/{saved.id}", status_code=303)
