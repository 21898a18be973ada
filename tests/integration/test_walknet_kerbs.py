"""Routing on the hand-written OSM fixture (tests/fixtures/osm/kerbs_inclines.osm): the
step-free route goes round a raised kerb and a steep incline, says when a stile and a steep
ramp leave no step-free way, and a tour names that leg."""

from __future__ import annotations

import pytest

from tests.conftest import make_test_app
from tests.walknet_data import osm_fixture

# node positions of the fixture (lon, lat)
N1 = (8.72000, 47.50000)
N4 = (8.72300, 47.50000)
N6 = (8.72500, 47.50000)
N8 = (8.72700, 47.50000)


@pytest.fixture(scope="module")
def kerbs_app(clone_db):
    app = make_test_app(clone_db("walk_kerbs"))
    with app.app_context():
        from app.extensions import db
        from app.services import walknet

        staged = walknet.load_staging(osm_fixture("kerbs_inclines.osm"))
        db.session.commit()
        walknet.swap_in(staged)
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture
def app(kerbs_app):
    return kerbs_app


@pytest.fixture
def network(db_session):
    from app.services.walknet import active_network

    return active_network()


def test_step_free_goes_round_the_raised_kerb(network):
    from app.services.walknet import route_leg

    foot = route_leg(N1, N4, "foot", network)
    free = route_leg(N1, N4, "step_free", network)
    assert foot["ways"] == [101]
    assert free["ways"] == [102]  # the lowered kerb
    assert free["length_m"] > foot["length_m"]


def test_step_free_goes_round_the_steep_incline(network):
    from app.services.walknet import route_leg

    assert route_leg(N4, N6, "foot", network)["ways"] == [103]
    assert route_leg(N4, N6, "step_free", network)["ways"] == [104]


def test_a_stile_and_a_steep_ramp_leave_no_step_free_way(network):
    from app.services.walknet import route_leg

    assert route_leg(N6, N8, "foot", network)["status"] == "ok"
    free = route_leg(N6, N8, "step_free", network)
    assert free["status"] == "no_route"
    assert free["coordinates"] == [list(N6), list(N8)]


def test_a_tour_names_the_leg_without_a_step_free_way(network):
    from app.services.walknet import accessibility_facts, tour_variants

    routes = tour_variants([N1, N4, N6, N8], network)
    facts = accessibility_facts(routes)
    assert facts["no_step_free"] == [[3, 4]]
    assert facts["step_free_exists"] is False
    assert facts["no_route"] == []
