"""Who may do what in a workspace: roles and the one rule that compares them (DESIGN §5)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"  # reads the workspace
    MEMBER = "member"  # creates and moves items, plans their own work
    MANAGER = "manager"  # boards, limits, policies, rules, members


_RANK = {Role.VIEWER: 1, Role.MEMBER: 2, Role.MANAGER: 3}

ROLE_WORDS = {
    Role.VIEWER: "read this workspace",
    Role.MEMBER: "change items in this workspace",
    Role.MANAGER: "manage this workspace",
}


def at_least(role: Role | str | None, needed: Role | str) -> bool:
    """Does `role` include everything `needed` may do? (None: not a member.)"""
    if role is None:
        return False
    return _RANK[Role(role)] >= _RANK[Role(needed)]


def lower(a: Role | str, b: Role | str) -> Role:
    """The weaker of two roles: a token never acts above its creator's current role."""
    return Role(a) if _RANK[Role(a)] <= _RANK[Role(b)] else Role(b)
