"""Aggregates: split templates per work type, splitting an item into its children, and an
aggregate's progress."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter

from pullplan.domain.permissions import Role
from pullplan.services import aggregates as service
from pullplan.services.accounts import Principal
from pullplan.web.api.aggregate_schemas import (
    AggregateRead,
    ProgressRead,
    SplitRequest,
    SplitTemplateRead,
    SplitTemplateUpdate,
    TemplateChildRead,
)
from pullplan.web.api.deps import DB, PathId
from pullplan.web.api.errors import RESPONSES
from pullplan.web.api.views import item_read
from pullplan.web.auth import allow
from pullplan.web.sync_work import SyncRoute

router = APIRouter(route_class=SyncRoute, tags=["aggregates"], responses=RESPONSES)

Viewer = Annotated[Principal, allow(Role.VIEWER, on="workspace")]
Manager = Annotated[Principal, allow(Role.MANAGER, on="workspace")]
ViewerOnItem = Annotated[Principal, allow(Role.VIEWER, on="item")]
MemberOnItem = Annotated[Principal, allow(Role.MEMBER, on="item")]


def _template(template: service.SplitTemplate) -> SplitTemplateRead:
    return SplitTemplateRead(
        work_type_id=template.work_type_id,
        work_type_name=template.work_type_name,
        children=[TemplateChildRead(**asdict(c)) for c in template.children],
    )


def _aggregate(aggregate: service.Aggregate) -> AggregateRead:
    p = aggregate.progress
    return AggregateRead(
        item=item_read(aggregate.item),
        progress=ProgressRead(done=p.done, total=p.total, discarded=p.discarded, complete=p.complete),
        children=[item_read(c) for c in aggregate.children],
        template=[TemplateChildRead(**asdict(c)) for c in aggregate.template],
    )


@router.get("/workspaces/{workspace_id}/split-templates", response_model=list[SplitTemplateRead])
def list_split_templates(workspace_id: PathId, db: DB, _: Viewer):
    """The split templates of the workspace's work types: the children an item of that type is
    split into when it crosses the commitment point."""
    return [_template(t) for t in service.list_templates(db, workspace_id)]


@router.put("/workspaces/{workspace_id}/split-templates", response_model=SplitTemplateRead)
def set_split_template(workspace_id: PathId, body: SplitTemplateUpdate, db: DB, principal: Manager):
    """Replace a work type's split template (managers); no children removes it."""
    return _template(
        service.set_template(
            db,
            actor_id=principal.user_id,
            workspace_id=workspace_id,
            work_type_id=body.work_type_id,
            children=[c.model_dump() for c in body.children],
        )
    )


@router.get("/items/{item_id}/aggregate", response_model=AggregateRead)
def get_aggregate(item_id: PathId, db: DB, _: ViewerOnItem):
    """The item as an aggregate: its children, how many are done, its type's template."""
    return _aggregate(service.get_aggregate(db, item_id))


@router.post("/items/{item_id}/split", response_model=AggregateRead)
def split_item(item_id: PathId, db: DB, principal: MemberOnItem, body: SplitRequest | None = None):
    """Split the item by hand into the children given, or from its work type's template (no
    body). 409 when it is split already, finished, has no template, or a child may not enter
    its stage (nothing is created then)."""
    children = [c.model_dump() for c in body.children] if body and body.children else None
    return _aggregate(
        service.split_item(
            db,
            actor_id=principal.user_id,
            item_id=item_id,
            children=children,
            reason=body.reason if body else None,
        )
    )
