"""Render a page template with what every page needs: who is signed in and the CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from pullplan.domain.board import CLASS_LABELS, ClassOfService

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(class_label=lambda c: CLASS_LABELS[ClassOfService(c)])


def render(request: Request, name: str, context: dict, status_code: int = 200):
    principal = getattr(request.state, "principal", None)
    return templates.TemplateResponse(
        request,
        name,
        {"principal": principal, "csrf_token": principal.csrf_token if principal else "", **context},
        status_code=status_code,
    )
