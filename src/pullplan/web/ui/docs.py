"""The API docs page, with Swagger UI from its installed package (nothing from the internet)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, include_in_schema=False)


def mount_assets(app: FastAPI) -> None:
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_path), name="swagger-assets")


@router.get("/docs")
def api_docs():
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="pullplan API",
        swagger_js_url="/docs/assets/swagger-ui-bundle.js",
        swagger_css_url="/docs/assets/swagger-ui.css",
        swagger_favicon_url="/docs/assets/favicon-32x32.png",
    )
