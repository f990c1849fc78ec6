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
