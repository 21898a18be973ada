"""Loading an OpenStreetMap extract as the walking network.

Two steps, each one transaction for the caller to commit: ``load_staging`` reads the file
(``geo.osmnet``), writes the edges and vertices into the staging tables and computes the
connected components there; ``swap_in`` then replaces the serving network with the staged one
in one transaction (DELETE + INSERT, so readers keep seeing the old network until the commit),
records the import run as the active network version and drops legs cached on older versions.
An extract identical to the active network's keeps its version and its cached legs.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text, update

from app.extensions import db
from app.models.walknet import EDGE_TAGS, WalkNetwork
from geo.osmnet import Network, build_network

_COMPONENTS_SQL = """
UPDATE walknet_edges_staging e SET {column} = c.component
FROM pgr_connectedComponents(
    'SELECT id, source, target, {cost} AS cost, {reverse} AS reverse_cost
     FROM walknet_edges_staging WHERE {cost} >= 0 OR {reverse} >= 0') c
WHERE c.node = e.source AND (e.{cost} >= 0 OR e.{reverse} >= 0)
"""
_EDGE_COLUMNS = ("id", "source", "target", "osm_way_id", "geom", "length_m", *EDGE_TAGS,
                 "conveying", "underground", "cost_foot", "reverse_cost_foot", "cost_step_free",
                 "reverse_cost_step_free")


@dataclass
class Staged:
    """What ``load_staging`` put into the staging tables."""

    source_name: str
    source_sha256: str
    bbox: list[float] | None
    digest: str
    counts: dict = field(default_factory=dict)
    unchanged: bool = False


@dataclass
class ImportReport:
    """The outcome of an import, for the operator."""

    network_id: int
    unchanged: bool
    counts: dict


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def active_network() -> WalkNetwork | None:
    """The network routes are computed on, or None before the first import."""
    return db.session.scalar(select(WalkNetwork).where(WalkNetwork.active))


def _cell(value) -> str:
    if value is None:
        return r"\N"
    text_value = str(value)
    return (text_value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def _cost(length: float, factor: float | None) -> float:
    return -1.0 if factor is None else round(length * factor, 3)


def _edge_rows(network: Network) -> io.StringIO:
    out = io.StringIO()
    for e in network.edges:
        wkt = "SRID=4326;LINESTRING(" + ",".join(f"{x:.7f} {y:.7f}" for x, y in e.coords) + ")"
        row = [e.id, e.source, e.target, e.osm_way_id, wkt, round(e.length_m, 3),
               *(e.tags.get(tag) for tag in EDGE_TAGS), e.tags.get("conveying"),
               "t" if e.underground else "f",
               _cost(e.length_m, e.foot), _cost(e.length_m, e.foot_reverse),
               _cost(e.length_m, e.step_free), _cost(e.length_m, e.step_free_reverse)]
        out.write("\t".join(_cell(v) for v in row) + "\n")
    out.seek(0)
    return out


def _vertex_rows(network: Network) -> io.StringIO:
    out = io.StringIO()
    for node_id in sorted(network.vertices):
        lon, lat = network.vertices[node_id]
        out.write(f"{node_id}\tSRID=4326;POINT({lon:.7f} {lat:.7f})\n")
    out.seek(0)
    return out


def load_staging(path: str | Path, bbox: tuple[float, float, float, float] | None = None,
                 progress: Callable[[int], None] | None = None) -> Staged:
    """Read the extract and fill the staging tables (the serving network is untouched).

    Raises:
        geo.errors.GeoError: the file is unreadable or holds no walkable way.
    """
    network = build_network(path, bbox, progress)
    return load_network(network, Path(path).name, file_sha256(path), bbox)


def load_network(network: Network, source_name: str, source_sha256: str,
                 bbox: tuple[float, float, float, float] | None = None) -> Staged:
    """Fill the staging tables with ``network`` (already cut into edges), unless it is the
    network in use; its components are computed there."""
    staged = Staged(source_name=source_name, source_sha256=source_sha256,
                    bbox=list(bbox) if bbox else None, digest=network.digest(),
                    counts=dict(network.counts))
    active = active_network()
    if active is not None and active.digest == staged.digest:
        staged.unchanged = True
        staged.counts.update(active.counts)
        return staged
    session = db.session
    session.execute(text("TRUNCATE walknet_edges_staging, walknet_vertices_staging"))
    cursor = session.connection().connection.cursor()
    cursor.copy_expert(f"COPY walknet_edges_staging ({', '.join(_EDGE_COLUMNS)}) FROM STDIN",
                       _edge_rows(network))
    cursor.copy_expert("COPY walknet_vertices_staging (id, geom) FROM STDIN",
                       _vertex_rows(network))
    for mode in ("foot", "step_free"):
        session.execute(text(_COMPONENTS_SQL.format(
            column=f"component_{mode}", cost=f"cost_{mode}", reverse=f"reverse_cost_{mode}")))
    staged.counts.update(_component_counts())
    return staged


def _component_counts() -> dict:
    counts = {}
    for mode in ("foot", "step_free"):
        # mode is one of the two literal names above, never input.
        biggest = f"""
            SELECT component_{mode}, count(*) FROM walknet_edges_staging
            WHERE component_{mode} >= 0 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"""  # noqa: S608
        row = db.session.execute(text(biggest)).first()
        total = db.session.scalar(text(
            f"SELECT count(*) FROM walknet_edges_staging WHERE component_{mode} >= 0"))  # noqa: S608
        counts[f"{mode}_edges"] = int(total or 0)
        counts[f"{mode}_main_component"] = int(row[0]) if row else -1
        counts[f"{mode}_main_component_edges"] = int(row[1]) if row else 0
    return counts


def swap_in(staged: Staged) -> ImportReport:
    """Make the staged network the serving one, in the caller's transaction. The caller
    routes the tours again in the same transaction (``app.services.tours.routes``): their
    legs were cached on the old version."""
    if staged.unchanged:
        active = active_network()
        return ImportReport(network_id=active.id, unchanged=True, counts=dict(active.counts))
    session = db.session
    session.execute(text("DELETE FROM walknet_edges"))
    session.execute(text("INSERT INTO walknet_edges SELECT * FROM walknet_edges_staging"))
    session.execute(text("DELETE FROM walknet_vertices"))
    session.execute(text("INSERT INTO walknet_vertices SELECT * FROM walknet_vertices_staging"))
    session.execute(update(WalkNetwork).where(WalkNetwork.active).values(active=False))
    session.flush()
    run = WalkNetwork(
        source_name=staged.source_name, source_sha256=staged.source_sha256, bbox=staged.bbox,
        digest=staged.digest, edges=int(staged.counts.get("edges", 0)),
        vertices=int(staged.counts.get("vertices", 0)), counts=staged.counts, active=True,
        activated_at=func.now(),
    )
    session.add(run)
    session.flush()
    session.execute(text("DELETE FROM walknet_legs WHERE network_id <> :id"), {"id": run.id})
    session.execute(text("TRUNCATE walknet_edges_staging, walknet_vertices_staging"))
    return ImportReport(network_id=run.id, unchanged=False, counts=dict(staged.counts))
