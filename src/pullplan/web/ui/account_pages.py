"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from pullplan.services import accounts
from pullplan.storage.tables import WorkspaceRow
from pullplan.web.api.deps import DB
from pullplan.web.auth import SESSION_COOKIE, CsrfRefused, same_origin, signed_in
from pullplan.web.sync_work import SyncRoute
from pullplan.web.ui.render import render

router = APIRouter(route_class=SyncRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _demo_password(db) -> str | None:
    from pullplan.demo import DEMO_PASSWORD

    with db.read() as session:
        demo = session.scalar(select(WorkspaceRow.id).where(WorkspaceRow.is_demo.is_(True)).limit(1))
    return DEMO_PASSWORD if demo else None


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: DB, next: str = "/"):
    return render(
        request, "login.html", {"next": _safe_next(next), "username": "", "demo": _demo_password(db)}
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    if not same_origin(request):
        raise CsrfRefused("This sign-in came from another site and was refused.")
    address = request.client.host if request.client else "unknown"
    try:
        token, _ = accounts.sign_in(
            db,
            username=username,
            password=password,
            address=address,
            replaces=request.cookies.get(SESSION_COOKIE),
        )
    except (accounts.LoginRefused, accounts.LoginThrottled) as e:
        status = 429 if isinstance(e, accounts.LoginThrottled) else 401
        context = {
            "next": _safe_next(next),
            "username": username,
            "error": e.message,
            "demo": _demo_password(db),
        }
        return render(request, "login.html", context, status_code=status)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_MAX.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, db: DB, _=Depends(signed_in)):
    accounts.sign_out(db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
