"""``flask walknet import FILE.osm.pbf [--bbox ...]`` and ``flask walknet status``
(registered in app/cli.py)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

walknet_cli = AppGroup("walknet", help="The walking network (OpenStreetMap foot network).")


@walknet_cli.command("import")
@click.argument("extract", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bbox", default=None, metavar="MINLON,MINLAT,MAXLON,MAXLAT",
              help="Keep only the ways inside this box (cut at its edge).")
def import_command(extract: Path, bbox: str | None) -> None:
    """Load an OpenStreetMap extract (.osm.pbf or .osm) as the walking network.

    The new network is loaded beside the one in use and swapped in in one transaction; tours
    are routed again on it. Importing the same file again changes nothing.
    """
    from app.extensions import db
    from app.services import walknet
    from app.services.tours.routes import reroute_network_tours
    from geo.errors import GeoError
    from geo.osmnet import parse_bbox

    try:
        box = parse_bbox(bbox) if bbox else None
    except GeoError as exc:
        raise click.BadParameter(str(exc), param_hint="--bbox") from None
    with click.progressbar(length=_way_count_hint(extract), label="Reading ways",
                           show_pos=True) as bar:
        try:
            staged = walknet.load_staging(extract, box, progress=bar.update)
        except GeoError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        bar.update(bar.length)
    db.session.commit()
    report = walknet.swap_in(staged)
    rerouted = None if report.unchanged else reroute_network_tours()
    db.session.commit()
    counts = report.counts
    if report.unchanged:
        click.echo(f"Unchanged: the network in use (version {report.network_id}) was made from "
                   "the same data.")
    else:
        click.echo(f"Network version {report.network_id} is in use.")
    click.echo(
        f"{counts.get('ways', 0)} ways, {counts.get('edges', 0)} edges, "
        f"{counts.get('vertices', 0)} vertices; foot: {counts.get('foot_edges', 0)} edges "
        f"({counts.get('foot_main_component_edges', 0)} in the largest connected part); "
        f"step-free: {counts.get('step_free_edges', 0)} edges "
        f"({counts.get('step_free_main_component_edges', 0)} in the largest connected part)."
    )
    if rerouted is not None:
        click.echo(f"{rerouted} tours routed again.")


def _way_count_hint(path: Path) -> int:
    # The bar advances per walkable way; before reading, the file size is the best guess of
    # how many there are (about one per 300 bytes of PBF), corrected when reading ends.
    return max(1, path.stat().st_size // 300)


@walknet_cli.command("status")
def status_command() -> None:
    """Show the network in use."""
    from app.services import walknet

    network = walknet.active_network()
    if network is None:
        click.echo("No walking network: load one with `flask walknet import FILE.osm.pbf`.")
        return
    click.echo(f"Version {network.id} from {network.source_name} ({network.edges} edges, "
               f"{network.vertices} vertices), in use since {network.activated_at:%Y-%m-%d %H:%M}.")
