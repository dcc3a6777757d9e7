"""`pullplan user ...`: people and their access from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pullplan.services import accounts
from pullplan.services import boards as board_service
from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade

PULLPLAN = str(Path(sys.executable).with_name("pullplan"))


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'users.sqlite3'}"
    db = Database(url)
    upgrade(db)
    board_service.create_workspace(db, name="Team")
    db.dispose()
    return url


def run(url, *args, stdin: str | None = None, expect: int = 0):
    env = {**os.environ, "PULLPLAN_DATABASE_URL": url}
    proc = subprocess.run([PULLPLAN, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == expect, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    return proc


def test_add_role_list_passwd_disable(url):
    out = run(
        url, "user", "add", "erin", "--name", "Erin Vale", "--password-stdin", stdin="correct horse\n"
    ).stdout
    assert "Created user erin (Erin Vale)" in out
    run(url, "user", "role", "erin", "Team", "member")
    rows = json.loads(run(url, "user", "list", "--json").stdout)
    assert rows == [
        {"username": "erin", "name": "Erin Vale", "admin": False, "disabled": False, "roles": "Team: member"}
    ]

    db = Database(url)
    token, _ = accounts.sign_in(db, username="erin", password="correct horse", address="cli")
    assert accounts.session_principal(db, token) is not None
    run(url, "user", "passwd", "erin", "--password-stdin", stdin="battery staple\n")
    assert accounts.session_principal(db, token) is None  # a new password ends sessions
    with pytest.raises(accounts.LoginRefused):
        accounts.sign_in(db, username="erin", password="correct horse", address="cli")
    accounts.sign_in(db, username="erin", password="battery staple", address="cli")

    run(url, "user", "disable", "erin")
    with pytest.raises(accounts.LoginRefused):
        accounts.sign_in(db, username="erin", password="battery staple", address="cli")
    assert json.loads(run(url, "user", "list", "--json").stdout)[0]["disabled"] is True


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["user", "add", "erin", "--name", "E", "--password-stdin"], "short\n", "password: must be 8"),
        (
            ["user", "add", "bad name", "--name", "E", "--password-stdin"],
            "long enough\n",
            "username: use letters",
        ),
        (["user", "add", "erin", "--name", "E"], None, "use --password-stdin"),
        (["user", "passwd", "nobody", "--password-stdin"], "long enough\n", "User 'nobody' does not exist"),
        (["user", "role", "nobody", "Team", "member"], None, "no user 'nobody'"),
        (["user", "role", "erin", "Team", "boss"], None, "'boss' is not one of"),
        (["user", "role", "erin", "Elsewhere", "member"], None, "no workspace 'Elsewhere'"),
    ],
)
def test_bad_input_exits_2(url, args, stdin, message):
    if args[:2] == ["user", "role"] and args[2] == "erin":
        run(url, "user", "add", "erin", "--name", "Erin", "--password-stdin", stdin="long enough\n")
    proc = run(url, *args, stdin=stdin, expect=2)
    assert message in proc.stderr
