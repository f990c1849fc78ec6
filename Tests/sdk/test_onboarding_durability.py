"""Durability of review decisions: `centaur serve` is killed with SIGKILL again and again while a client submits
decisions; after every restart each acknowledged decision is present (exactly once) and `centaur audit verify`
passes. Applications reach review over the public API: a licence back is uploaded, extracted by the background
worker and confirmed (the missing I-9 sends each to review)."""
import json
import os
import pathlib
import random
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CENTAUR_BIN", str(ROOT / ".build" / "debug" / "centaur"))
SAMPLE = ROOT / ".centaur" / "samples" / "person-01" / "license-back.png"
APPLICATIONS = 60

pytestmark = pytest.mark.skipif(not SAMPLE.exists() and os.environ.get("CENTAUR_REQUIRE_SAMPLES") != "1",
                                reason="run scripts/generate-samples")


def call(url, method="GET", body=None, token=None, raw=None, timeout=10):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Server:
    def __init__(self, work):
        self.work = work
        self.config = work / "centaur.yaml"
        self.config.write_text("""
providers:
  nowhere: { kind: openai, api_key: k, base_url: "http://127.0.0.1:9/v1", flavor: compatible }
models:
  unused: { provider: nowhere, id: unused }
default_model: unused
""")
        self.data = work / "data"
        self.process = None
        self.url = None

    def start(self):
        log = open(self.work / "serve.log", "a")
        self.process = subprocess.Popen(
            # One test client creates every application, from one address: the per-address limit is raised for it.
            [BIN, "serve", "--config", str(self.config), "--data-dir", str(self.data), "--port", "0", "--extraction-model", "none",
             "--applications-per-address", "10000"],
            stdout=subprocess.PIPE, stderr=log, text=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            if line.startswith("centaur listening on "):
                self.url = line.split()[-1].strip()
                return
        self.process.kill()
        raise RuntimeError("centaur serve did not start: " + (self.work / "serve.log").read_text()[-2000:])

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def cli(self, *args):
        return subprocess.run([BIN, *args, "--data-dir", str(self.data)], capture_output=True, text=True)


def test_every_acknowledged_decision_survives_repeated_sigkill():
    server = Server(pathlib.Path(tempfile.mkdtemp(prefix="centaur-durability-")))
    out = server.cli("keys", "create", "--name", "durability", "--scope", "reviewer", "--json")
    assert out.returncode == 0, out.stderr
    reviewer = json.loads(out.stdout)["key"]
    server.start()

    # Applications in review, through the applicant API and the background worker.
    applications = []
    back = SAMPLE.read_bytes()
    for _ in range(APPLICATIONS):
        status, created = call(server.url + "/api/applications", "POST", {"market_state": "IL"})
        assert status == 201
        status, _ = call(f"{server.url}/api/applications/{created['id']}/documents?kind=license_back&name=back.png", "POST",
                         raw=back, token=created["token"])
        assert status == 202
        applications.append(created)
    for application in applications:
        deadline = time.time() + 120
        while call(f"{server.url}/api/applications/{application['id']}", token=application["token"])[1]["state"] != "awaiting_applicant":
            assert time.time() < deadline, "extraction did not finish"
            time.sleep(0.05)
        status, confirmed = call(f"{server.url}/api/applications/{application['id']}/confirmation", "POST", {}, token=application["token"])
        assert status == 200 and confirmed["state"] == "in_review"

    pending = [a["id"] for a in applications]
    acknowledged = {}
    kills = 0
    rng = random.Random(20261123)
    while pending:
        def decide(url=server.url, todo=list(pending)):
            for application_id in todo:
                try:
                    status, result = call(f"{url}/api/review/applications/{application_id}/decision", "POST",
                                          {"decision": "approve", "reason": f"verified in round {kills}"}, token=reviewer, timeout=5)
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    return  # the server died under us: this decision was not acknowledged
                if status == 200:
                    acknowledged[application_id] = result["state"]
                time.sleep(0.01)

        client = threading.Thread(target=decide)
        client.start()
        if kills < 8:
            time.sleep(rng.uniform(0.02, 0.12))
            server.kill()
            kills += 1
        client.join(timeout=120)
        if server.process.poll() is None:
            server.stop()
        server.start()

        # After the restart every acknowledged decision is there, exactly once.
        for application_id, state in acknowledged.items():
            status, detail = call(f"{server.url}/api/review/applications/{application_id}", token=reviewer)
            assert status == 200
            assert detail["application"]["state"] == "approved" == state
            assert [d["decision"] for d in detail["decisions"]] == ["approve"]
        pending = [i for i in pending if call(f"{server.url}/api/review/applications/{i}", token=reviewer)[1]["application"]["state"] == "in_review"]
        server.stop()
        verify = server.cli("audit", "verify", "--json")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        assert json.loads(verify.stdout)["valid"] is True
        server.start()

    server.stop()
    assert kills >= 4, f"only {kills} kills landed while decisions were being sent"
    assert len(acknowledged) >= 1
    # Unacknowledged ones that committed before the kill are approved too: nothing is half-written.
    out = server.cli("audit", "verify", "--json")
    result = json.loads(out.stdout)
    assert out.returncode == 0 and result["valid"] and result["entries"] >= APPLICATIONS * 5
