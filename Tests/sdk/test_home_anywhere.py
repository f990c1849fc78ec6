"""`centaur` from any directory: scripts/install puts a wrapper on the PATH that pins one home, and from a directory
outside the checkout `centaur keys create|list`, `centaur serve` and `centaur ask` all use that home's data and
local model (nothing is written where the command was run)."""
import json
import os
import pathlib
import subprocess
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CENTAUR_BIN", str(ROOT / ".build" / "debug" / "centaur"))
CHECKOUT_HOME = ROOT / ".centaur"

pytestmark = pytest.mark.skipif(
    not (CHECKOUT_HOME / "models").is_dir() and os.environ.get("CENTAUR_REQUIRE_LOCAL_MODEL") != "1",
    reason="needs the local model (scripts/setup-local-model)")


def test_centaur_works_from_anywhere(tmp_path):
    # A home of its own (the checkout's local model and its server shared by link), so the test writes nothing
    # into the checkout's data.
    home = tmp_path / "home"
    home.mkdir()
    for part in ("venv", "models"):
        (home / part).symlink_to(CHECKOUT_HOME / part)
    prefix, user, elsewhere = tmp_path / "prefix", tmp_path / "user", tmp_path / "elsewhere"
    user.mkdir()
    elsewhere.mkdir()
    installed = subprocess.run(["bash", str(ROOT / "scripts" / "install"), "--binary", BIN], capture_output=True, text=True,
                               env=dict(os.environ, PREFIX=str(prefix), CENTAUR_HOME=str(home), HOME=str(user)))
    assert installed.returncode == 0, installed.stderr
    wrapper = prefix / "bin" / "centaur"
    assert f"home: {home}" in installed.stderr and wrapper.exists()

    env = {key: value for key, value in os.environ.items() if not key.startswith("CENTAUR_")}
    env.update(PATH=f"{prefix / 'bin'}:{os.environ['PATH']}", HOME=str(user))

    def centaur(*args, **kwargs):
        return subprocess.run(["centaur", *args], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300, **kwargs)

    created = centaur("keys", "create", "--name", "from-anywhere", "--json")
    assert created.returncode == 0, created.stderr
    secret = json.loads(created.stdout)["key"]
    listed = centaur("keys", "list")
    assert listed.returncode == 0 and "from-anywhere" in listed.stdout, listed.stdout + listed.stderr

    server = subprocess.Popen(["centaur", "serve", "--port", "0"], cwd=elsewhere, env=env, stdout=subprocess.PIPE,
                              stderr=open(tmp_path / "serve.log", "w"), text=True)
    try:
        url = None
        while url is None:
            line = server.stdout.readline()
            assert line, "centaur serve did not start: " + (tmp_path / "serve.log").read_text()[-2000:]
            if line.startswith("centaur listening on "):
                url = line.split()[-1].strip()
        # The server reads the key the CLI created: the same home.
        request = urllib.request.Request(url + "/v1/models", headers={"Authorization": f"Bearer {secret}"})
        models = json.loads(urllib.request.urlopen(request, timeout=30).read())
        assert models["data"], models
        answer = centaur("ask", "--json", "What is 2 + 2? Answer with the number only.")
        assert answer.returncode == 0, answer.stderr
        assert json.loads(answer.stdout)["text"].strip(), answer.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (home / "data").is_dir()
    assert list(elsewhere.iterdir()) == [], "nothing is written where centaur was run"
