"""Request and response shapes of aggregates and split templates."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pullplan.domain.aggregates import MAX_CHILDREN, MAX_OFFSET_DAYS
from pullplan.web.api.schemas import Id, ItemRead, Reason

ChildTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
StageName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Offset = Annotated[int, Field(ge=-MAX_OFFSET_DAYS, le=MAX_OFFSET_DAYS)]


class TemplateChildSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: ChildTitle
    work_type_id: Id | None = Field(None, description="The child's work type; none: the parent's")
    stage_name: StageName | None = Field(
        None, description="The stage it starts in, on the parent's board; none: the first option stage"
    )
    offset_days: Offset = Field(0, description="Its due date: the parent's plus this many days")


class TemplateChildRead(BaseModel):
    title: str
    work_type_id: int | None
    work_type_name: str | None
    stage_name: str | None
    offset_days: int


class SplitTemplateUpdate(BaseModel):
    """The whole template of a work type (an empty list of children removes it)."""

    model_config = ConfigDict(extra="forbid")

    work_type_id: Id
    children: list[TemplateChildSpec] = Field(max_length=MAX_CHILDREN)


class SplitTemplateRead(BaseModel):
    work_type_id: int
    work_type_name: str
    children: list[TemplateChildRead]


class SplitRequest(BaseModel):
    """Split into these children, or (none given) from the work type's template."""

    model_config = ConfigDict(extra="forbid")

    children: list[TemplateChildSpec] | None = Field(None, max_length=MAX_CHILDREN)
    reason: Reason | None = Field(None, description="For a child that enters a stage over its limit")


class ProgressRead(BaseModel):
    done: int
    total: int = Field(description="Children not discarded")
    discarded: int
    complete: bool


class AggregateRead(BaseModel):
    item: ItemRead
    progress: ProgressRead
    children: list[ItemRead]
    template: list[TemplateChildRead] = Field(description="Its work type's split template")
