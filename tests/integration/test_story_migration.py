"""The stories migration on a database holding the demo city and places that older merges
concatenated: up (one story per place, merged blocks split and credited as written), down
(further stories folded back into the place's text) and up again."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import ROOT, make_test_app

MIGRATIONS = str(ROOT / "migrations")
BEFORE_STORIES = "9b2e4c7d1a05"
SEP, CREDIT = "\n\n---\n\n", "\n\n— "


@pytest.fixture(scope="module")
def seeded(clone_db):
    app = make_test_app(clone_db("story-migration"))
    with app.app_context():
        from app.extensions import db
        from app.services.seed import seed_demo

        seed_demo()
        db.session.commit()
        db.session.remove()
        yield app, db
        db.session.remove()
        db.engine.dispose()


def _rows(db, sql, **params):
    with db.engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().all()


def _exec(db, sql, **params):
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)


def _old_merge(db):
    """Two places merged the way the old merge did: the duplicate's text (and an anonymous
    block without a source) appended to the target, the duplicate archived and redirected."""
    target, dup, _other = _rows(db, "SELECT id, body, author_id FROM places ORDER BY id LIMIT 3")
    _exec(db, "UPDATE places SET body = 'Mein Grossvater wog hier Käse.', era_year = 1950, "
              "era_precision = 'decade', language = 'en', merged_into_id = :t, "
              "status = 'archived' WHERE id = :d", t=target["id"], d=dup["id"])
    concatenated = (target["body"].rstrip() + SEP + "Mein Grossvater wog hier Käse."
                    + CREDIT + "Hans Muster" + SEP + "Ein Satz ohne Namen.")
    _exec(db, "UPDATE places SET body = :b WHERE id = :t", b=concatenated, t=target["id"])
    _exec(db, "UPDATE media SET place_id = :t WHERE place_id = :d", t=target["id"],
          d=dup["id"])
    return target, dup, concatenated


def test_up_down_up_with_the_demo_and_merged_places(seeded):
    app, db = seeded
    with app.app_context():
        downgrade(directory=MIGRATIONS, revision=BEFORE_STORIES)
        places_before = _rows(db, "SELECT id, body FROM places ORDER BY id")
        target, dup, concatenated = _old_merge(db)
        upgrade(directory=MIGRATIONS)

        stories = _rows(db, "SELECT * FROM stories ORDER BY place_id, id")
        by_place: dict[int, list] = {}
        for s in stories:
            by_place.setdefault(s["place_id"], []).append(s)
        # every place not merged away has exactly one lead story; the merged one none
        live = {p["id"] for p in places_before} - {dup["id"]}
        assert set(by_place) == live
        assert all(sum(s["is_lead"] for s in ss) == 1 for ss in by_place.values())
        revisions = _rows(db, "SELECT count(*) AS n FROM story_revisions")[0]["n"]
        assert revisions >= len(live)
        # the demo's own stories carry their place's author, era, language and status
        demo = _rows(db, "SELECT p.author_id, p.era_year, p.language, p.status, s.author_id "
                         "AS s_author, s.era_start, s.language AS s_language, s.status AS "
                         "s_status, s.body AS s_body, p.body FROM places p JOIN stories s ON "
                         "s.place_id = p.id AND s.is_lead WHERE p.id <> :t", t=target["id"])
        assert demo and all(r["s_author"] == r["author_id"] and r["era_start"] == r["era_year"]
                            and r["s_language"] == r["language"] and r["s_status"] == r["status"]
                            and r["s_body"] == r["body"] for r in demo)
        assert _rows(db, "SELECT count(*) AS n FROM media WHERE story_id IS NULL")[0]["n"] == 0

        lead, hans, anonymous = by_place[target["id"]]
        assert lead["is_lead"] and lead["body"] == target["body"].strip()
        assert not lead["needs_check"]
        # split off and credited as written; the merged place lends what it knew
        assert hans["body"] == "Mein Grossvater wog hier Käse."
        assert hans["author_name"] == hans["credit_name"] == "Hans Muster"
        assert hans["needs_check"] and hans["author_id"] == dup["author_id"]
        assert (hans["era_start"], hans["era_end"], hans["era_precision"]) == (1950, 1959,
                                                                               "decade")
        assert hans["language"] == "en"
        assert anonymous["body"] == "Ein Satz ohne Namen." and anonymous["needs_check"]
        assert anonymous["author_name"] is None and anonymous["credit_name"] == ""
        assert _rows(db, "SELECT body FROM places WHERE id = :t",
                     t=target["id"])[0]["body"] == target["body"].strip()

        downgrade(directory=MIGRATIONS, revision=BEFORE_STORIES)
        # the split stories are folded back as the old merge wrote them; the anonymous
        # block has no credit line, as before
        assert _rows(db, "SELECT body FROM places WHERE id = :t",
                     t=target["id"])[0]["body"] == concatenated.strip()
        after = {p["id"]: p["body"] for p in _rows(db, "SELECT id, body FROM places")}
        assert all(after[p["id"]] == p["body"] for p in places_before
                   if p["id"] not in (target["id"], dup["id"]))
        upgrade(directory=MIGRATIONS)
        assert len(_rows(db, "SELECT id FROM stories WHERE place_id = :t",
                         t=target["id"])) == 3
