"""Importing the register from a spreadsheet: upload, preview (nothing saved), save every row or none.

The same multipart form as the reconciliation's (server.web.imports): the preview page carries the parsed file, so
that changing a column's field or saving needs no second upload. Admins import for the community, grid workers for
the grids they answer for; volunteers never come here (requires_register).
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import QueryParameter
from litestar.response import Redirect, Response, Template

from server.imports.reader import ImportProblem
from server.register import importing
from server.web import imports
from server.web.auth import client_address, current_user, requires_register, scope_of
from server.web.pages import render, settings_of


def _skip_unknown(data: dict[str, Any]) -> bool:
    return data.get("skip_unknown") == "1"


def _index(request: Request, *, error: str | None = None, status_code: int = 200, saved: dict | None = None):
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
    async def index(
        self,
        request: Request,
        created: Annotated[int | None, QueryParameter(ge=0)] = None,
        updated: Annotated[int, QueryParameter(ge=0)] = 0,
        skipped: Annotated[int, QueryParameter(ge=0)] = 0,
        set_aside: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Template:
        """The upload form; after a save (?created=&updated=&skipped=&set_aside=), what was saved."""
        saved = (
            None
            if created is None
            else {"created": created, "updated": updated, "skipped": skipped, "set_aside": set_aside}
        )
        return _index(request, saved=saved)

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
        query = f"created={saved.created}&updated={saved.updated}&skipped={saved.skipped}&set_aside={saved.set_aside}"
        return Redirect(f"/register/import?{query}", status_code=303)
