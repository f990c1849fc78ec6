"""A fake model provider on 127.0.0.1 that speaks both the Anthropic Messages API and OpenAI chat completions.

Deterministic answers, so SDK tests can check what crossed the gateway:
- model "rate-limited": HTTP 429 with retry-after, in the API's own error shape.
- a forced tool (JSON output) or a JSON-schema response format: {"name": "Jane Roe", "date_of_birth": "1990-07-04"}.
- tools offered and no tool result yet: a call of the first tool with {"location": "Paris"}.
- a tool result in the last message: "It is 21 degrees in Paris."
- otherwise: "Hello from the fake <api> upstream."
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PERSON = {"name": "Jane Roe", "date_of_birth": "1990-07-04"}


def anthropic_answer(body):
    messages = body.get("messages", [])
    last = messages[-1] if messages else {}
    content = last.get("content")
    has_result = isinstance(content, list) and any(b.get("type") == "tool_result" for b in content)
    choice = body.get("tool_choice") or {}
    tools = body.get("tools") or []
    if choice.get("type") == "tool":
        return [{"type": "tool_use", "id": "toolu_fake_json", "name": choice["name"], "input": PERSON}], "tool_use"
    if tools and not has_result:
        return [{"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_fake_1", "name": tools[0]["name"], "input": {"location": "Paris"}}], "tool_use"
    if has_result:
        return [{"type": "text", "text": "It is 21 degrees in Paris."}], "end_turn"
    return [{"type": "text", "text": "Hello from the fake anthropic upstream."}], "end_turn"


def openai_answer(body):
    messages = body.get("messages", [])
    last = messages[-1] if messages else {}
    fmt = (body.get("response_format") or {}).get("type")
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    if fmt in ("json_schema", "json_object"):
        return {"role": "assistant", "content": json.dumps(PERSON)}, "stop"
    if isinstance(choice, dict):
        name = choice["function"]["name"]
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_fake_json", "type": "function", "function": {"name": name, "arguments": json.dumps(PERSON)}}]}, "tool_calls"
    if tools and last.get("role") != "tool":
        return {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_fake_1", "type": "function", "function": {"name": tools[0]["function"]["name"], "arguments": "{\"location\": \"Paris\"}"}}]}, "tool_calls"
    if last.get("role") == "tool":
        return {"role": "assistant", "content": "It is 21 degrees in Paris."}, "stop"
    return {"role": "assistant", "content": "Hello from the fake openai upstream."}, "stop"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def send_sse(self, events):
        data = "".join(events).encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_json(200, {"object": "list", "data": []})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        if self.path.endswith("/messages"):
            self.anthropic(body)
        elif self.path.endswith("/chat/completions"):
            self.openai(body)
        elif self.path.endswith("/embeddings"):
            self.embeddings(body)
        else:
            self.send_json(404, {"error": {"message": "no such path"}})

    def anthropic(self, body):
        if body.get("model") == "rate-limited":
            return self.send_json(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"}}, [("retry-after", "1")])
        blocks, stop = anthropic_answer(body)
        usage = {"input_tokens": 42, "output_tokens": 7}
        if not body.get("stream"):
            return self.send_json(200, {"id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
                                        "content": blocks, "stop_reason": stop, "stop_sequence": None, "usage": usage})
        ev = lambda name, obj: f"event: {name}\ndata: {json.dumps(obj)}\n\n"
        events = [ev("message_start", {"type": "message_start", "message": {"id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"], "content": [], "stop_reason": None, "usage": {"input_tokens": 42, "output_tokens": 1}}})]
        for i, b in enumerate(blocks):
            if b["type"] == "text":
                events.append(ev("content_block_start", {"type": "content_block_start", "index": i, "content_block": {"type": "text", "text": ""}}))
                for word in b["text"].split(" "):
                    events.append(ev("content_block_delta", {"type": "content_block_delta", "index": i, "delta": {"type": "text_delta", "text": word + " "}}))
            else:
                events.append(ev("content_block_start", {"type": "content_block_start", "index": i, "content_block": {"type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}}))
                text = json.dumps(b["input"])
                for j in range(0, len(text), 7):
                    events.append(ev("content_block_delta", {"type": "content_block_delta", "index": i, "delta": {"type": "input_json_delta", "partial_json": text[j:j + 7]}}))
            events.append(ev("content_block_stop", {"type": "content_block_stop", "index": i}))
        events.append(ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": 7}}))
        events.append(ev("message_stop", {"type": "message_stop"}))
        self.send_sse(events)

    def openai(self, body):
        if body.get("model") == "rate-limited":
            return self.send_json(429, {"error": {"message": "Rate limit reached", "type": "requests", "param": None, "code": "rate_limit_exceeded"}}, [("retry-after", "1")])
        message, finish = openai_answer(body)
        usage = {"prompt_tokens": 31, "completion_tokens": 9, "total_tokens": 40}
        if not body.get("stream"):
            return self.send_json(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": body["model"],
                                        "choices": [{"index": 0, "message": message, "finish_reason": finish}], "usage": usage})
        chunk = lambda delta, fin=None: "data: " + json.dumps({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": body["model"], "choices": [{"index": 0, "delta": delta, "finish_reason": fin}]}) + "\n\n"
        events = [chunk({"role": "assistant", "content": ""})]
        if message.get("content"):
            for word in message["content"].split(" "):
                events.append(chunk({"content": word + " "}))
        for i, call in enumerate(message.get("tool_calls") or []):
            events.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}]}))
            args = call["function"]["arguments"]
            for j in range(0, len(args), 5):
                events.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": args[j:j + 5]}}]}))
        events.append(chunk({}, finish))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append("data: " + json.dumps({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": body["model"], "choices": [], "usage": usage}) + "\n\n")
        events.append("data: [DONE]\n\n")
        self.send_sse(events)


    def embeddings(self, body):
        """OpenAI's embeddings: input[i] answers [len(input[i]), i, 0.5], 3 tokens an input (only floats are asked for)."""
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if body.get("encoding_format", "float") != "float":
            return self.send_json(400, {"error": {"message": "the gateway must ask for floats", "type": "invalid_request_error"}})
        data = [{"object": "embedding", "index": i, "embedding": [float(len(text)), float(i), 0.5]} for i, text in enumerate(inputs)]
        self.send_json(200, {"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 3 * len(inputs), "total_tokens": 3 * len(inputs)}})


def start(port=0):
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    server = start(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    print(server.server_address[1], flush=True)
    threading.Event().wait()
