#!/usr/bin/env python3
"""Scores `centaur extract --json` model answers against the samples' expected.json (see run.sh).

The model's answer is its last attempt's raw JSON; values are compared after the same light
normalisation Centaur applies (upper case, letters and digits only; mm/dd/yyyy read as a date).
"""
import json, re, sys
from pathlib import Path

samples, out = Path(sys.argv[1]), Path(sys.argv[2])

def canon(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return f"{float(v):.2f}"
    text = str(v).strip()
    m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", text)
    if m:
        text = f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}"
    money = re.match(r"^\(?-?\$?([\d,]+\.?\d*)\)?$", text)
    if money and any(c.isdigit() for c in text) and ("$" in text or "," in text or "." in text):
        return f"{float(money.group(1).replace(',', '')):.2f}"
    return re.sub(r"[^A-Z0-9]", "", text.upper())

rows = {}
for result in sorted(out.glob("person-*.json")):
    parts = result.stem.split("-", 2)
    person, doc_type = f"{parts[0]}-{parts[1]}", parts[2]
    expected = json.loads((samples / person / "expected.json").read_text())[doc_type]
    answer = json.loads(result.read_text())
    attempts = answer.get("attempts", [])
    try:
        model = json.loads(attempts[-1]["raw_output"]) if attempts else {}
    except json.JSONDecodeError:
        model = {}
    s = rows.setdefault(doc_type, {"fields": 0, "correct": 0, "docs": 0, "valid": 0, "repairs": 0, "tokens": 0, "ms": 0})
    s["docs"] += 1
    s["valid"] += 1 if attempts and not attempts[-1]["violations"] else 0
    s["repairs"] += max(0, len(attempts) - 1)
    s["tokens"] += sum(a["usage"]["input_tokens"] + a["usage"]["output_tokens"] for a in attempts)
    s["ms"] += sum(a["latency_ms"] for a in attempts)
    for key, value in expected.items():
        if key in ("citizenship_status",):  # a check box: not in the page text
            continue
        s["fields"] += 1
        if canon(model.get(key)) == canon(value):
            s["correct"] += 1

print("| document type | documents | schema-valid | repair rounds | fields correct | accuracy | tokens | model time |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
total_f = total_c = 0
for doc_type, s in rows.items():
    total_f += s["fields"]; total_c += s["correct"]
    print(f"| {doc_type} | {s['docs']} | {s['valid']}/{s['docs']} | {s['repairs']} | {s['correct']}/{s['fields']} | "
          f"{100 * s['correct'] / max(1, s['fields']):.0f}% | {s['tokens']} | {s['ms'] / 1000:.0f} s |")
print(f"| **all** | | | | {total_c}/{total_f} | {100 * total_c / max(1, total_f):.0f}% | | |")
