"""Dependencies shared by the API routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from pullplan.storage.database import Database


async def get_db(request: Request) -> Database:
    return request.app.state.db


DB = Annotated[Database, Depends(get_db)]
PathId = Annotated[int, Path(ge=1, le=2_147_483_647)]
