#!/usr/bin/env python3
"""Writes the field layout of the blank USCIS Form I-9 (edition 08/01/23) as Centaur resource data.

The layout (AcroForm field name, page, widget rectangle in PDF points with a top-left origin, field type)
lets the layout extractor read *flattened* or scanned I-9s, whose values exist only as page text or pixels,
by the position where each field's value is printed. The form is a work of the US federal government.

Usage: scripts/generate-i9-layout.py [../shared/data/i9/i-9.pdf] > Sources/CentaurExtraction/Resources/layouts/form-i9-2023-08.json
Needs qpdf (scripts/setup-system).
"""
import json, subprocess, sys

source = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/i9/i-9.pdf"
report = json.loads(subprocess.run(["qpdf", "--json", "--json-key=acroform", "--json-key=qpdf", source],
                                   check=False, capture_output=True).stdout)
objects = report["qpdf"][1]
pages = {}
fields = []
for field in report["acroform"]["fields"]:
    annotation = field.get("annotation", {}).get("object")
    if not annotation:
        continue
    value = objects.get("obj:" + annotation, {}).get("value", {})
    rect = value.get("/Rect")
    if not rect:
        continue
    page = field["pageposfrom1"]
    height = 792.0
    x0, y0, x1, y1 = min(rect[0], rect[2]), min(rect[1], rect[3]), max(rect[0], rect[2]), max(rect[1], rect[3])
    fields.append({
        "name": field["fullname"],
        "page": page,
        "type": field["fieldtype"].lstrip("/"),
        "checkbox": field["ischeckbox"],
        "x": round(x0, 2), "y": round(height - y1, 2), "width": round(x1 - x0, 2), "height": round(y1 - y0, 2),
    })
fields.sort(key=lambda f: (f["page"], f["y"], f["x"]))
print(json.dumps({
    "document_type": "form-i9",
    "edition": "08/01/23",
    "source": "USCIS Form I-9 blank (OMB No. 1615-0047, expires 05/31/2027), AcroForm widget rectangles",
    "page_width": 612, "page_height": 792,
    "fields": fields,
}, indent=1))
