"""Accounts and access: users and passwords, browser sessions, API tokens, login throttling,
and the audit log."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Update, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from pullplan.domain.permissions import Role, at_least, lower
from pullplan.services import validation as v
from pullplan.services.clock import utcnow
from pullplan.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from pullplan.storage.database import Database
from pullplan.storage.repositories import run
from pullplan.storage.tables import (
    ApiTokenRow,
    AuditEventRow,
    BrowserSessionRow,
    LoginFailureRow,
    MembershipRow,
    UserRow,
    WorkspaceRow,
)

PASSWORD_MIN = 8
PASSWORD_MAX = 256
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)
SESSION_IDLE = timedelta(hours=12)
SESSION_MAX = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=1)  # last-seen and last-used times are written at most this often
TOKEN_PREFIX = "pp_"

_hasher = PasswordHasher()


class LoginRefused(ServiceError):
    code = "login_refused"


class LoginThrottled(ServiceError):
    code = "too_many_attempts"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user through a browser session or through an API token."""

    user_id: int
    username: str
    display_name: str
    is_admin: bool
    via: str  # "session" or "token"
    token_workspace_id: int | None = None
    token_role: Role | None = None
    csrf_token: str | None = None
    roles: dict[int, Role] | None = None  # the user's role per workspace

    def role_in(self, workspace_id: int) -> Role | None:
        member = (self.roles or {}).get(workspace_id)
        if self.via == "token":
            if workspace_id != self.token_workspace_id or member is None and not self.is_admin:
                return None
            return lower(self.token_role, member or Role.MANAGER)
        if self.is_admin:
            return Role.MANAGER
        return member


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- users ----------------------------------------------------------------------------------


def _password(password: object) -> str:
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise InvalidInput("password", f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long.")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(_password(password))


def create_user(
    db: Database,
    *,
    username: str,
    display_name: str,
    email: str | None = None,
    password: str | None = None,
    is_admin: bool = False,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> UserRow:
    now = now or utcnow()
    username = v.text("username", username, max_len=64)
    if not username.replace("_", "").replace("-", "").replace(".", "").isalnum() or not username.isascii():
        raise InvalidInput("username", "use letters, digits, '.', '-' and '_' only.")
    display_name = v.text("display_name", display_name, max_len=120)
    email = v.text("email", email, max_len=254, required=False) or None
    password_hash = hash_password(password) if password is not None else None
    with db.write() as session:
        if session.scalar(select(UserRow.id).where(UserRow.username == username)):
            raise Conflict("duplicate", f"The username {username!r} is taken.")
        row = UserRow(
            username=username,
            display_name=display_name,
            email=email,
            created_at=now,
            password_hash=password_hash,
            is_admin=is_admin,
        )
        session.add(row)
        session.flush()
        record(session, actor_id, None, "user.created", username, {"is_admin": is_admin}, now)
        return row


def list_users(db: Database) -> list[UserRow]:
    with db.read() as session:
        return list(session.scalars(select(UserRow).order_by(UserRow.username)))


def find_user(session: Session, username: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise NotFound("User", repr(username))
    return row


def set_password(db: Database, *, username: str, password: str, actor_id: int | None = None) -> None:
    password_hash = hash_password(password)
    with db.write() as session:
        user = find_user(session, username)
        user.password_hash = password_hash
        session.execute(delete(BrowserSessionRow).where(BrowserSessionRow.user_id == user.id))
        record(session, actor_id, None, "user.password_changed", username)


def disable_user(db: Database, *, username: str, actor_id: int | None = None) -> None:
    """A disabled user cannot sign in; their sessions end and their tokens stop working."""
    now = utcnow()
    with db.write() as session:
        user = find_user(session, username)
        if user.disabled_at is None:
            user.disabled_at = now
        session.execute(delete(BrowserSessionRow).where(BrowserSessionRow.user_id == user.id))
        record(session, actor_id, None, "user.disabled", username, now=now)


def has_admin(db: Database) -> bool:
    with db.read() as session:
        return session.scalar(select(func.count()).where(UserRow.is_admin.is_(True))) > 0


def ensure_admin(db: Database) -> str | None:
    """On a fresh install, create the instance admin `admin` with a random password and return
    the password (once); None when an admin already exists."""
    if has_admin(db):
        return None
    password = secrets.token_urlsafe(12)
    with db.read() as session:
        taken = session.scalar(select(UserRow.id).where(UserRow.username == "admin"))
    if taken:
        set_password(db, username="admin", password=password)
        with db.write() as session:
            find_user(session, "admin").is_admin = True
    else:
        create_user(db, username="admin", display_name="Administrator", password=password, is_admin=True)
    return password


# --- memberships ----------------------------------------------------------------------------


_ROLES = select(MembershipRow.workspace_id, MembershipRow.role).where(
    MembershipRow.user_id == bindparam("user_id")
)


def roles_of(session: Session, user_id: int) -> dict[int, Role]:
    rows = run(session, _ROLES, {"user_id": user_id})
    return {ws: Role(role) for ws, role in rows}


def set_role(
    db: Database, *, workspace_id: int, user_id: int, role: str, actor_id: int | None = None
) -> None:
    role = v.enum("role", role, Role)
    with db.write() as session:
        if session.get(WorkspaceRow, workspace_id) is None:
            raise NotFound("Workspace", workspace_id)
        user = session.get(UserRow, user_id)
        if user is None:
            raise NotFound("User", user_id)
        membership = session.get(MembershipRow, (workspace_id, user_id))
        before = membership.role if membership else None
        if membership is None:
            session.add(MembershipRow(workspace_id=workspace_id, user_id=user_id, role=role.value))
        else:
            membership.role = role.value
        record(
            session,
            actor_id,
            workspace_id,
            "member.role_changed",
            user.username,
            {"from": before, "to": role.value},
        )


def list_members(db: Database, workspace_id: int) -> list[tuple[UserRow, str]]:
    with db.read() as session:
        if session.get(WorkspaceRow, workspace_id) is None:
            raise NotFound("Workspace", workspace_id)
        return [
            (user, role)
            for user, role in session.execute(
                select(UserRow, MembershipRow.role)
                .join(MembershipRow, MembershipRow.user_id == UserRow.id)
                .where(MembershipRow.workspace_id == workspace_id)
                .order_by(UserRow.username)
            )
        ]


# --- signing in -----------------------------------------------------------------------------


def sign_in(
    db: Database,
    *,
    username: str,
    password: str,
    address: str,
    replaces: str | None = None,
    now: datetime | None = None,
) -> tuple[str, Principal]:
    """Check the password and start a new session (never reusing the old one). Returns the
    session token for the cookie. Five failures per account and address in 15 minutes
    refuse further tries until the window passes."""
    now = now or utcnow()
    username = (username or "").strip()[:64]
    address = (address or "unknown")[:64]
    if "\x00" in username:  # no username has one, and PostgreSQL refuses even to look it up
        _hasher.hash("spend the same time as a real check")
        raise LoginRefused("Wrong username or password.")
    with db.write() as session:
        since = now - THROTTLE_WINDOW
        failures = session.scalars(
            select(LoginFailureRow.at)
            .where(
                LoginFailureRow.username == username,
                LoginFailureRow.address == address,
                LoginFailureRow.at > since,
            )
            .order_by(LoginFailureRow.at)
        ).all()
        if len(failures) >= THROTTLE_FAILURES:
            wait = failures[-THROTTLE_FAILURES] + THROTTLE_WINDOW - now
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            raise LoginThrottled(
                f"Too many failed sign-ins for this account from your address; try again in "
                f"{minutes} minute{'s' if minutes != 1 else ''}."
            )
    user = None
    with db.read() as session:
        user = session.scalar(select(UserRow).where(UserRow.username == username))
    ok = False
    if user is not None and user.password_hash and user.disabled_at is None:
        try:
            ok = _hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash("spend the same time as a real check")
    if not ok:
        # Committed before refusing: raised inside the unit of work, it would be rolled back,
        # and the throttle would never count a failure.
        with db.write() as session:
            session.add(LoginFailureRow(username=username, address=address, at=now))
            record(session, None, None, "login.failed", username, {"address": address}, now)
        raise LoginRefused("Wrong username or password.")
    with db.write() as session:
        if replaces:
            session.execute(delete(BrowserSessionRow).where(BrowserSessionRow.token_hash == digest(replaces)))
        session.execute(
            delete(LoginFailureRow).where(
                LoginFailureRow.username == username, LoginFailureRow.address == address
            )
        )
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        session.add(
            BrowserSessionRow(
                token_hash=digest(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                last_seen_at=now,
                expires_at=now + SESSION_MAX,
                address=address,
            )
        )
        record(session, user.id, None, "login", username, {"address": address}, now)
        return token, _principal(session, user, "session", csrf_token=csrf)


def sign_out(db: Database, token: str) -> None:
    with db.write() as session:
        session.execute(delete(BrowserSessionRow).where(BrowserSessionRow.token_hash == digest(token)))


_USER_COLUMNS = (UserRow.id, UserRow.username, UserRow.display_name, UserRow.is_admin)
# Who holds a session or a token: one read each (with the user's roles, two), built once.
_SESSION_CALLER = (
    select(
        BrowserSessionRow.id.label("session_id"),
        BrowserSessionRow.csrf_token,
        BrowserSessionRow.expires_at,
        BrowserSessionRow.last_seen_at,
        *_USER_COLUMNS,
    )
    .join(UserRow, UserRow.id == BrowserSessionRow.user_id)
    .where(BrowserSessionRow.token_hash == bindparam("token_hash"), UserRow.disabled_at.is_(None))
)
_TOKEN_CALLER = (
    select(
        ApiTokenRow.id.label("token_id"),
        ApiTokenRow.workspace_id,
        ApiTokenRow.role,
        ApiTokenRow.last_used_at,
        *_USER_COLUMNS,
    )
    .join(UserRow, UserRow.id == ApiTokenRow.user_id)
    .where(
        ApiTokenRow.token_hash == bindparam("token_hash"),
        ApiTokenRow.revoked_at.is_(None),
        UserRow.disabled_at.is_(None),
    )
)


@dataclass(frozen=True)
class Caller:
    """Whom a credential names (None: nobody), read in the caller's transaction, and what to
    write after it: the session's last-seen or the token's last-used time, at most once every
    TOUCH_EVERY (None: nothing)."""

    principal: Principal | None
    touch: Update | None = None


def session_caller(session: Session, token: str, now: datetime) -> Caller:
    """The user of a live session: within both the idle and the absolute expiry."""
    row = run(session, _SESSION_CALLER, {"token_hash": digest(token)}).one_or_none()
    if row is None or row.expires_at <= now or row.last_seen_at + SESSION_IDLE <= now:
        return Caller(None)
    principal = _principal(session, row, "session", csrf_token=row.csrf_token)
    if now - row.last_seen_at < TOUCH_EVERY:
        return Caller(principal)
    seen = update(BrowserSessionRow).where(BrowserSessionRow.id == row.session_id).values(last_seen_at=now)
    return Caller(principal, seen)


def touch(db: Database, caller: Caller) -> None:
    if caller.touch is not None:
        with db.write() as session:
            session.execute(caller.touch)


def session_principal(db: Database, token: str, *, now: datetime | None = None) -> Principal | None:
    with db.read() as session:
        caller = session_caller(session, token, now or utcnow())
    touch(db, caller)
    return caller.principal


# --- API tokens -----------------------------------------------------------------------------


def create_token(
    db: Database,
    *,
    creator: Principal,
    workspace_id: int,
    role: str,
    name: str,
    now: datetime | None = None,
) -> tuple[str, ApiTokenRow]:
    """A new token, shown once: scoped to one workspace and a role no higher than the
    creator's own there."""
    now = now or utcnow()
    role = v.enum("role", role, Role)
    name = v.text("name", name, max_len=120)
    own = creator.role_in(workspace_id)
    if own is None:
        raise NotFound("Workspace", workspace_id)
    if not at_least(own, role):
        raise InvalidInput("role", f"you are {own.value} here and cannot give a token the role {role.value}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.write() as session:
        row = ApiTokenRow(
            token_hash=digest(token),
            prefix=token[:10],
            name=name,
            user_id=creator.user_id,
            workspace_id=workspace_id,
            role=role.value,
            created_at=now,
        )
        session.add(row)
        session.flush()
        record(session, creator.user_id, workspace_id, "token.created", name, {"role": role.value}, now)
        return token, row


def list_tokens(db: Database, *, workspace_id: int, user_id: int | None = None) -> list[ApiTokenRow]:
    with db.read() as session:
        query = select(ApiTokenRow).where(ApiTokenRow.workspace_id == workspace_id)
        if user_id is not None:
            query = query.where(ApiTokenRow.user_id == user_id)
        return list(session.scalars(query.order_by(ApiTokenRow.id)))


def token_workspace(db: Database, token_id: int) -> int:
    with db.read() as session:
        ws = session.scalar(select(ApiTokenRow.workspace_id).where(ApiTokenRow.id == token_id))
    if ws is None:
        raise NotFound("Token", token_id)
    return ws


def revoke_token(db: Database, *, token_id: int, by: Principal, now: datetime | None = None) -> ApiTokenRow:
    """The token's owner, or a manager of its workspace, revokes it."""
    now = now or utcnow()
    with db.write() as session:
        row = session.get(ApiTokenRow, token_id)
        if row is None or by.role_in(row.workspace_id) is None:
            raise NotFound("Token", token_id)
        if row.user_id != by.user_id and not at_least(by.role_in(row.workspace_id), Role.MANAGER):
            raise NotFound("Token", token_id)
        if row.revoked_at is None:
            row.revoked_at = now
            record(session, by.user_id, row.workspace_id, "token.revoked", row.name, now=now)
        return row


def token_caller(session: Session, token: str, now: datetime) -> Caller:
    row = run(session, _TOKEN_CALLER, {"token_hash": digest(token)}).one_or_none()
    if row is None:
        return Caller(None)
    principal = _principal(
        session, row, "token", token_workspace_id=row.workspace_id, token_role=Role(row.role)
    )
    if row.last_used_at is not None and now - row.last_used_at < TOUCH_EVERY:
        return Caller(principal)
    used = update(ApiTokenRow).where(ApiTokenRow.id == row.token_id).values(last_used_at=now)
    return Caller(principal, used)


def token_principal(db: Database, token: str, *, now: datetime | None = None) -> Principal | None:
    with db.read() as session:
        caller = token_caller(session, token, now or utcnow())
    touch(db, caller)
    return caller.principal


def _principal(session: Session, user, via: str, **extra) -> Principal:
    """`user`: a UserRow, or a row of the user's columns."""
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        is_admin=user.is_admin,
        via=via,
        roles=roles_of(session, user.id),
        **extra,
    )


# --- audit log ------------------------------------------------------------------------------


def record(
    session: Session,
    actor_id: int | None,
    workspace_id: int | None,
    action: str,
    subject: str = "",
    details: dict | None = None,
    now: datetime | None = None,
) -> None:
    """Append an audit event inside the caller's transaction."""
    session.add(
        AuditEventRow(
            at=now or utcnow(),
            actor_id=actor_id,
            workspace_id=workspace_id,
            action=action,
            subject=subject[:200],
            details=details or {},
        )
    )


def audit_log(
    db: Database, *, workspace_id: int, before_id: int | None = None, limit: int = 100
) -> list[tuple[AuditEventRow, str | None]]:
    """Newest first: the workspace's events, and the sign-ins (and failed sign-ins) of its
    members, which belong to no workspace."""
    with db.read() as session:
        members = (
            select(UserRow.username)
            .join(MembershipRow, MembershipRow.user_id == UserRow.id)
            .where(MembershipRow.workspace_id == workspace_id)
        )
        sign_ins = and_(
            AuditEventRow.workspace_id.is_(None),
            AuditEventRow.action.in_(("login", "login.failed")),
            AuditEventRow.subject.in_(members),
        )
        query = (
            select(AuditEventRow, UserRow.username)
            .outerjoin(UserRow, UserRow.id == AuditEventRow.actor_id)
            .where(or_(AuditEventRow.workspace_id == workspace_id, sign_ins))
        )
        if before_id is not None:
            query = query.where(AuditEventRow.id < before_id)
        return list(session.execute(query.order_by(AuditEventRow.id.desc()).limit(limit)).all())
