"""The official openai and anthropic SDKs, unmodified but for base URL and key, against `centaur serve`.

Each API is routed to (a) a fake upstream speaking the *other* API's format and (b) the local llama.cpp model.
Every call is tagged (x-centaur-tag-test) and must show up in /api/traces with tokens and cost.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request

import anthropic
import openai
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import fake_upstream  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CENTAUR_BIN", str(ROOT / ".build" / "debug" / "centaur"))
PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "date_of_birth": {"type": "string", "format": "date"}},
    "required": ["name", "date_of_birth"],
    "additionalProperties": False,
}
WEATHER_TOOL_OPENAI = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                                         "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}
WEATHER_TOOL_ANTHROPIC = {"name": "get_weather", "description": "Weather for a city",
                          "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}


@pytest.fixture(scope="session")
def gateway():
    fake = fake_upstream.start()
    fake_port = fake.server_address[1]
    work = pathlib.Path(tempfile.mkdtemp(prefix="centaur-sdk-"))
    config = work / "centaur.yaml"
    config.write_text(f"""
providers:
  fake-anthropic: {{ kind: anthropic, api_key: upstream-key, base_url: http://127.0.0.1:{fake_port} }}
  fake-openai: {{ kind: openai, api_key: upstream-key, base_url: http://127.0.0.1:{fake_port}/v1, flavor: compatible }}
  local: {{ kind: local }}
models:
  claude-fake: {{ provider: fake-anthropic, id: claude-sonnet-4-5 }}
  claude-limited: {{ provider: fake-anthropic, id: rate-limited, price: {{ input: 3, output: 15 }} }}
  gpt-fake: {{ provider: fake-openai, id: gpt-4o-mini }}
  gpt-limited: {{ provider: fake-openai, id: rate-limited, price: {{ input: 0.15, output: 0.6 }} }}
  small: {{ provider: local, id: qwen2.5-coder-0.5b-instruct }}
embeddings:
  embed-fake: {{ provider: fake-openai, id: text-embedding-3-small, price: {{ input: 0.02 }} }}
functions:
  greet: {{ variants: {{ anthropic-side: {{ model: claude-fake, weight: 0.5 }}, openai-side: {{ model: gpt-fake, weight: 0.5 }} }} }}
routing: {{ attempts_per_target: 1 }}
default_model: small
""")
    data = work / "data"
    env = dict(os.environ, CENTAUR_HOME=str(ROOT / ".centaur"))

    def create_key(scope):
        out = subprocess.run([BIN, "keys", "create", "--name", f"sdk-{scope}", "--scope", scope, "--team", "sdk", "--json", "--data-dir", str(data)],
                             check=True, capture_output=True, text=True, env=env)
        return json.loads(out.stdout)["key"]

    admin_key, user_key = create_key("admin"), create_key("gateway")
    log = open(work / "serve.log", "w")
    server = subprocess.Popen([BIN, "serve", "--config", str(config), "--data-dir", str(data), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    url = None
    deadline = time.time() + 180
    while time.time() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        if line.startswith("centaur listening on "):
            url = line.split()[-1].strip()
            break
    if url is None:
        server.kill()
        raise RuntimeError("centaur serve did not start: " + (work / "serve.log").read_text()[-2000:])
    yield {"url": url, "admin": admin_key, "user": user_key, "server": server, "work": work}
    server.terminate()
    server.wait(timeout=30)
    fake.shutdown()


def traces(gw, test, requests=1):
    """The traces tagged test:TEST, once those of `requests` requests are stored (the writer batches off the hot path)."""
    request = urllib.request.Request(f"{gw['url']}/api/traces?tag=test:{test}", headers={"Authorization": f"Bearer {gw['admin']}"})
    found = []
    for _ in range(50):
        found = json.load(urllib.request.urlopen(request))["traces"]
        if len({t["request_id"] for t in found}) >= requests:
            return found
        time.sleep(0.1)
    return found


def openai_client(gw, test, key=None):
    return openai.OpenAI(base_url=gw["url"] + "/v1", api_key=key or gw["user"], default_headers={"x-centaur-tag-test": test})


def anthropic_client(gw, test, key=None):
    return anthropic.Anthropic(base_url=gw["url"], api_key=key or gw["user"], default_headers={"x-centaur-tag-test": test})


ANSWERED = []  # one entry per successful call, so the last test can check the store holds them all


def assert_traced(gw, test, priced=True, calls=1, may_be_cached=False):
    ANSWERED.extend([test] * calls)
    found = traces(gw, test, requests=calls)
    assert found, f"no trace for {test}"
    ok = [t for t in found if t["status"] == "ok"]
    assert len({t["request_id"] for t in ok}) == calls, json.dumps(found)
    for trace in ok:
        if trace["provider"] == "cache":
            # An earlier test asked the same question of the same model at temperature 0: answered from the cache,
            # which costs no tokens and records where the answer came from.
            assert may_be_cached, json.dumps(trace)
            assert trace["tags"]["cache"] == "hit" and trace["tags"]["cache_origin_request_id"], json.dumps(trace)
            continue
        assert trace["input_tokens"] > 0 and trace["output_tokens"] > 0, json.dumps(found)
        assert trace["cost_usd"] is not None
        if priced:
            assert trace["cost_usd"] > 0, json.dumps(trace)


# --- (a) each SDK against a fake upstream speaking the other API -------------------------------------------

def test_openai_sdk_non_streaming_through_anthropic_upstream(gateway):
    result = openai_client(gateway, "oa-plain").chat.completions.create(model="claude-fake", messages=[{"role": "user", "content": "Hi"}])
    assert result.choices[0].message.content == "Hello from the fake anthropic upstream."
    assert result.choices[0].finish_reason == "stop"
    assert result.usage.prompt_tokens == 42 and result.usage.completion_tokens == 7
    assert_traced(gateway, "oa-plain")


def test_openai_sdk_streaming_through_anthropic_upstream(gateway):
    stream = openai_client(gateway, "oa-stream").chat.completions.create(
        model="claude-fake", messages=[{"role": "user", "content": "Hi"}], stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == "Hello from the fake anthropic upstream."
    assert chunks[-1].usage.completion_tokens == 7
    assert_traced(gateway, "oa-stream")


def test_openai_sdk_tool_call_round_trip_through_anthropic_upstream(gateway):
    client = openai_client(gateway, "oa-tools")
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model="claude-fake", messages=messages, tools=[WEATHER_TOOL_OPENAI])
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"location": "Paris"}
    messages += [first.choices[0].message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": "21C"}]
    second = client.chat.completions.create(model="claude-fake", messages=messages, tools=[WEATHER_TOOL_OPENAI])
    assert second.choices[0].message.content == "It is 21 degrees in Paris."
    assert_traced(gateway, "oa-tools", calls=2)


def test_openai_sdk_json_schema_through_anthropic_upstream(gateway):
    result = openai_client(gateway, "oa-json").chat.completions.create(
        model="claude-fake", messages=[{"role": "user", "content": "Jane Roe, born 4 July 1990"}],
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA}})
    assert json.loads(result.choices[0].message.content) == {"name": "Jane Roe", "date_of_birth": "1990-07-04"}
    assert_traced(gateway, "oa-json")


def test_openai_sdk_raises_rate_limit_error_for_an_upstream_429(gateway):
    client = openai.OpenAI(base_url=gateway["url"] + "/v1", api_key=gateway["user"], max_retries=0)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="claude-limited", messages=[{"role": "user", "content": "Hi"}])


def test_openai_sdk_raises_authentication_error_for_a_bad_key(gateway):
    with pytest.raises(openai.AuthenticationError):
        openai_client(gateway, "oa-badkey", key="ctr_not_a_key").chat.completions.create(model="claude-fake", messages=[{"role": "user", "content": "Hi"}])


def test_anthropic_sdk_non_streaming_through_openai_upstream(gateway):
    message = anthropic_client(gateway, "an-plain").messages.create(model="gpt-fake", max_tokens=50, messages=[{"role": "user", "content": "Hi"}])
    assert message.content[0].text == "Hello from the fake openai upstream."
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 31 and message.usage.output_tokens == 9
    assert_traced(gateway, "an-plain")


def test_anthropic_sdk_streaming_through_openai_upstream(gateway):
    with anthropic_client(gateway, "an-stream").messages.stream(model="gpt-fake", max_tokens=50, messages=[{"role": "user", "content": "Hi"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.strip() == "Hello from the fake openai upstream."
    assert final.usage.output_tokens == 9
    assert_traced(gateway, "an-stream")


def test_anthropic_sdk_tool_call_round_trip_through_openai_upstream(gateway):
    client = anthropic_client(gateway, "an-tools")
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.messages.create(model="gpt-fake", max_tokens=100, messages=messages, tools=[WEATHER_TOOL_ANTHROPIC])
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"location": "Paris"}
    messages += [{"role": "assistant", "content": [b.model_dump() for b in first.content]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "21C"}]}]
    second = client.messages.create(model="gpt-fake", max_tokens=100, messages=messages, tools=[WEATHER_TOOL_ANTHROPIC])
    assert second.content[0].text == "It is 21 degrees in Paris."
    assert_traced(gateway, "an-tools", calls=2)


def test_anthropic_sdk_json_output_by_forced_tool_through_openai_upstream(gateway):
    message = anthropic_client(gateway, "an-json").messages.create(
        model="gpt-fake", max_tokens=100, messages=[{"role": "user", "content": "Jane Roe, born 4 July 1990"}],
        tools=[{"name": "person", "description": "Record the person", "input_schema": PERSON_SCHEMA}],
        tool_choice={"type": "tool", "name": "person"})
    call = next(b for b in message.content if b.type == "tool_use")
    assert call.input == {"name": "Jane Roe", "date_of_birth": "1990-07-04"}
    assert_traced(gateway, "an-json")


def test_anthropic_sdk_raises_rate_limit_error_for_an_upstream_429(gateway):
    client = anthropic.Anthropic(base_url=gateway["url"], api_key=gateway["user"], max_retries=0)
    with pytest.raises(anthropic.RateLimitError):
        client.messages.create(model="gpt-limited", max_tokens=10, messages=[{"role": "user", "content": "Hi"}])


def test_anthropic_sdk_raises_authentication_error_for_a_bad_key(gateway):
    with pytest.raises(anthropic.AuthenticationError):
        anthropic_client(gateway, "an-badkey", key="ctr_not_a_key").messages.create(model="gpt-fake", max_tokens=10, messages=[{"role": "user", "content": "Hi"}])


# --- (b) both SDKs against the real local llama.cpp model ----------------------------------------------------

def test_openai_sdk_with_the_local_model(gateway):
    client = openai_client(gateway, "local-oa")
    result = client.chat.completions.create(model="small", messages=[{"role": "user", "content": "What is the capital of France? One word."}], max_tokens=10, temperature=0)
    assert "paris" in result.choices[0].message.content.lower()
    chunks = list(client.chat.completions.create(model="small", messages=[{"role": "user", "content": "Say hello."}], max_tokens=10, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip()
    person = client.chat.completions.create(
        model="small", temperature=0, max_tokens=60,
        messages=[{"role": "user", "content": "Extract name and date of birth (YYYY-MM-DD): 'Applicant Jane Marie Roe, born 4 July 1990.'"}],
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON_SCHEMA}})
    parsed = json.loads(person.choices[0].message.content)
    assert set(parsed) == {"name", "date_of_birth"} and parsed["date_of_birth"] == "1990-07-04"
    assert_traced(gateway, "local-oa", priced=False, calls=3, may_be_cached=True)


def test_anthropic_sdk_with_the_local_model(gateway):
    client = anthropic_client(gateway, "local-an")
    message = client.messages.create(model="small", max_tokens=10, messages=[{"role": "user", "content": "What is the capital of France? One word."}],
                                     extra_body={"temperature": 0})  # this SDK version no longer takes temperature as an argument
    assert "paris" in message.content[0].text.lower()
    with client.messages.stream(model="small", max_tokens=10, messages=[{"role": "user", "content": "Say hello."}]) as stream:
        assert "".join(stream.text_stream).strip()
    assert_traced(gateway, "local-an", priced=False, calls=2, may_be_cached=True)


# --- embeddings: the openai SDK's embeddings.create (which asks for base64 unless told otherwise) ------------------

def test_openai_sdk_embeddings_through_a_fake_upstream(gateway):
    client = openai_client(gateway, "emb-fake")
    result = client.embeddings.create(model="embed-fake", input=["hello", "a longer text"])
    assert [d.embedding for d in result.data] == [[5.0, 0.0, 0.5], [13.0, 1.0, 0.5]]
    assert result.usage.prompt_tokens == 6 and result.model == "embed-fake"
    floats = client.embeddings.create(model="embed-fake", input="one", encoding_format="float")
    assert floats.data[0].embedding == [3.0, 0.0, 0.5]
    ANSWERED.extend(["emb-fake"] * 2)
    found = [t for t in traces(gateway, "emb-fake", requests=2) if t["status"] == "ok"]
    assert len(found) == 2 and all(t["surface"] == "embeddings" and t["cost_usd"] > 0 and t["output_tokens"] == 0 for t in found), json.dumps(found)


def test_openai_sdk_embeddings_with_the_native_model(gateway):
    client = openai_client(gateway, "emb-native")
    result = client.embeddings.create(model="all-minilm-l6-v2", input=["A man is eating food.", "A man is eating a piece of bread."])
    a, b = (d.embedding for d in result.data)
    assert len(a) == 384 and abs(sum(x * x for x in a) - 1) < 1e-4
    assert abs(sum(x * y for x, y in zip(a, b)) - 0.7553) < 0.002
    ANSWERED.append("emb-native")
    found = traces(gateway, "emb-native")
    assert found and found[0]["input_tokens"] > 0 and found[0]["provider"] == "native", json.dumps(found)
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="no-such-embedder", input="x")
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="gpt-fake", input="x")


def test_a_function_sticks_to_one_variant_per_user_across_both_sdks(gateway):
    """`greet` splits 50/50 between an Anthropic and an OpenAI upstream: OpenAI's `user` and Anthropic's
    metadata.user_id pick the variant, the same one every time and from either SDK; the trace names it."""
    oa, an = openai_client(gateway, "function"), anthropic_client(gateway, "function")
    seen = {}
    calls = 0
    for n in range(8):
        subject = f"sdk-subject-{n}"
        first = oa.chat.completions.create(model="greet", user=subject, messages=[{"role": "user", "content": f"Hi {n}"}])
        again = oa.chat.completions.create(model="greet", user=subject, messages=[{"role": "user", "content": f"Hello {n}"}])
        other = an.messages.create(model="greet", max_tokens=20, metadata={"user_id": subject}, messages=[{"role": "user", "content": f"Hey {n}"}])
        calls += 3
        assert first.model == "greet"
        answers = {first.choices[0].message.content, again.choices[0].message.content, other.content[0].text}
        assert len(answers) == 1, (subject, answers)
        seen[subject] = answers.pop()
    assert set(seen.values()) == {"Hello from the fake anthropic upstream.", "Hello from the fake openai upstream."}, seen
    found = traces(gateway, "function", requests=calls)
    assert {t["tags"].get("variant") for t in found if t["status"] == "ok"} == {"anthropic-side", "openai-side"}
    assert all(t["tags"].get("function") == "greet" and t["tags"].get("variant_subject") == "user" for t in found), json.dumps(found[:2])
    # The request's own user field is a trace tag as on any call (attribution); the function step adds no copy of it.
    assert all(t["tags"].get("user", "").startswith("sdk-subject-") for t in found), json.dumps(found[:2])
    ANSWERED.extend(["function"] * calls)


def test_sigterm_flushes_every_answered_request(gateway):
    """Runs last: SIGTERM the server at once and check that the store holds every answered request."""
    server = gateway["server"]
    server.terminate()
    assert server.wait(timeout=30) == 0
    import sqlite3
    with sqlite3.connect(gateway["work"] / "data" / "centaur.sqlite") as db:
        stored = db.execute("SELECT COUNT(DISTINCT request_id) FROM trace WHERE status = 'ok'").fetchone()[0]
    assert ANSWERED, "run the whole file: this test checks the calls of the others"
    assert stored == len(ANSWERED), (stored, ANSWERED)
