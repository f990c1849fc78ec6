"""`centaur users create` refuses bad input with a clear error and keeps the users it made. It runs here, after the
Swift suites, because the real scrypt cost keeps a core busy for a while."""
import os
import pathlib
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CENTAUR_BIN", str(ROOT / ".build" / "debug" / "centaur"))


def test_users_create_refuses_bad_input_and_keeps_the_first_user():
    data = tempfile.mkdtemp(prefix="centaur-users-")

    def create(*arguments, password):
        return subprocess.run([BIN, "users", "create", *arguments, "--data-dir", data], input=password, capture_output=True, text=True)

    ok = create("--username", "ana", "--role", "reviewer", password="a long passphrase\n")
    assert ok.returncode == 0 and "created reviewer ana" in ok.stdout, ok.stderr
    short = create("--username", "bo", password="short")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    role = create("--username", "bo", "--role", "owner", password="a long passphrase")
    assert role.returncode == 1 and "--role must be reviewer or admin" in role.stderr
    name = create("--username", "b o", password="a long passphrase")
    assert name.returncode == 1 and "--username" in name.stderr
    taken = create("--username", "ana", password="another passphrase")
    assert taken.returncode == 1 and "a user named ana already exists" in taken.stderr


def test_users_list_disable_enable_and_passwd():
    data = tempfile.mkdtemp(prefix="centaur-users-")

    def users(*arguments, password=None):
        return subprocess.run([BIN, "users", *arguments, "--data-dir", data], input=password, capture_output=True, text=True)

    assert "no users" in users("list").stdout
    assert users("create", "--username", "ana", password="a long passphrase").returncode == 0
    listed = users("list")
    assert listed.returncode == 0 and listed.stdout.startswith("ana\treviewer\tcreated ") and "active" in listed.stdout
    disabled = users("disable", "ana")
    assert disabled.returncode == 0 and "disabled ana" in disabled.stdout
    assert "disabled 20" in users("list").stdout
    import json
    assert json.loads(users("list", "--json").stdout)[0]["disabled_at"] is not None
    assert users("enable", "ana").returncode == 0 and "active" in users("list").stdout
    changed = users("passwd", "ana", password="a new long passphrase")
    assert changed.returncode == 0 and "changed the password of ana" in changed.stdout
    assert users("passwd", "ana", password="short").returncode == 1
    missing = users("disable", "nobody")
    assert missing.returncode == 1 and "no user named nobody" in missing.stderr
