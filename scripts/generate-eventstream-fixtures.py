#!/usr/bin/env python3
"""Writes recorded Bedrock ConverseStream bodies (AWS event-stream framing) for CentaurProvidersTests.

The frames are encoded here, independently of our Swift encoder, and each file is checked by decoding
it with botocore's own EventStreamBuffer. Run from the repository root:
    python3 scripts/generate-eventstream-fixtures.py
"""
import binascii
import json
import pathlib
import struct

from botocore.eventstream import EventStreamBuffer

OUT = pathlib.Path("Tests/CentaurProvidersTests/Fixtures/bedrock")


def header(name, value):
    data = value.encode()
    return bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(data)) + data


def frame(headers, payload):
    hdr = b"".join(header(k, v) for k, v in headers)
    total = 12 + len(hdr) + len(payload) + 4
    prelude = struct.pack(">II", total, len(hdr))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + hdr + payload
    return body + struct.pack(">I", binascii.crc32(body) & 0xFFFFFFFF)


def event(kind, payload):
    return frame([(":event-type", kind), (":content-type", "application/json"), (":message-type", "event")],
                 json.dumps(payload, separators=(",", ":")).encode())


def exception(kind, message):
    return frame([(":exception-type", kind), (":content-type", "application/json"), (":message-type", "exception")],
                 json.dumps({"message": message}).encode())


TEXT = [
    event("messageStart", {"p": "abcdefghijk", "role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "abcd"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "! How can I help?"}, "p": "ab"}),
    event("contentBlockStop", {"contentBlockIndex": 0, "p": "abcdefghijklmnopq"}),
    event("messageStop", {"p": "abcdefghijklmnopqrstu", "stopReason": "end_turn"}),
    event("metadata", {"metrics": {"latencyMs": 412}, "p": "abcdef",
                       "usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21,
                                 "cacheReadInputTokens": 4, "cacheWriteInputTokens": 0}}),
]

TOOL = [
    event("messageStart", {"role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Let me look that up."}}),
    event("contentBlockStop", {"contentBlockIndex": 0}),
    event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "name": "top_song"}}}),
    event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"sign\": "}}}),
    event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "\"WZPZ\"}"}}}),
    event("contentBlockStop", {"contentBlockIndex": 1}),
    event("messageStop", {"stopReason": "tool_use"}),
    event("metadata", {"metrics": {"latencyMs": 1024}, "usage": {"inputTokens": 375, "outputTokens": 36, "totalTokens": 411}}),
]

THROTTLED = [
    event("messageStart", {"role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Partial"}}),
    exception("throttlingException", "Too many requests, please wait before trying again."),
]

for name, frames in [("stream-text.eventstream", TEXT), ("stream-tool-use.eventstream", TOOL), ("stream-throttled.eventstream", THROTTLED)]:
    data = b"".join(frames)
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    decoded = list(buffer)
    assert len(decoded) == len(frames), name
    (OUT / name).write_bytes(data)
    print(f"{name}: {len(frames)} frames, {len(data)} bytes, verified by botocore")
