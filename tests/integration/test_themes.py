"""Theme pages and following themes: new stories of followed themes come first."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.models import Place, Theme
from app.models.theme import theme_follows
from app.services import themes as theme_service
from tests.conftest import create_user, login


def test_theme_page_lists_its_places_and_tours(client, demo):
    html = client.get("/themes/fotografie", headers={"Accept-Language": "en"}).get_data(True)
    assert "<h1>Photography</h1>" in html
    assert "Fotomuseum Winterthur" in html and "Fotostiftung Schweiz" in html
    assert "Waaghaus" not in html
    assert "Ein Spaziergang für Fotomuseum-Fans" in html
    assert 'data-map' in html and 'id="theme-places"' in html  # map and the same as a list
    assert "/feeds/themes/fotografie.atom" in html
    assert "Log in to follow this theme" in html


def test_theme_index_and_unknown_theme(client, demo):
    html = client.get("/themes", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Gärten und Grünräume" in html
    assert client.get("/themes/no-such-theme").status_code == 404


def test_hidden_places_stay_off_theme_pages(client, demo, db_session):
    place = db_session.scalar(select(Place).where(Place.title == "Fotostiftung Schweiz"))
    place.hidden_at = datetime.now(UTC)
    db_session.flush()
    assert "Fotostiftung Schweiz" not in client.get("/themes/fotografie").get_data(as_text=True)


def test_follow_and_unfollow_a_theme(client, demo, db_session):
    user = create_user("walker@example.org")
    login(client, "walker@example.org")
    client.post("/language", data={"lang": "en", "next": "/"})  # the account's language is German
    resp = client.post("/themes/fotografie/follow", data={"action": "follow"})
    assert resp.status_code == 303
    theme = db_session.scalar(select(Theme).where(Theme.slug == "fotografie"))
    assert theme_service.followed_theme_ids(user) == {theme.id}
    # twice is harmless
    client.post("/themes/fotografie/follow", data={"action": "follow"})
    rows = db_session.execute(select(theme_follows).where(theme_follows.c.user_id == user.id)).all()
    assert len(rows) == 1
    html = client.get("/themes/fotografie", headers={"Accept-Language": "en"}).get_data(True)
    assert "You follow this theme." in html
    client.post("/themes/fotografie/follow", data={"action": "unfollow"})
    assert theme_service.followed_theme_ids(user) == set()


def test_following_needs_an_account_and_a_real_theme(client, demo, db_session):
    resp = client.post("/themes/fotografie/follow", data={"action": "follow"})
    assert resp.status_code in (302, 303, 401)
    assert db_session.execute(select(theme_follows)).all() == []
    create_user("walker@example.org")
    login(client, "walker@example.org")
    assert client.post("/themes/nope/follow", data={"action": "follow"}).status_code == 404


def test_new_stories_of_followed_themes_come_first_on_home(client, demo, db_session):
    user = create_user("walker@example.org")
    theme = db_session.scalar(select(Theme).where(Theme.slug == "gaerten"))
    theme_service.follow(user, theme)
    fresh = db_session.scalar(select(Place).where(Place.title == "Schloss Hegi"))
    fresh.published_at = datetime.now(UTC) + timedelta(minutes=1)
    old = db_session.scalar(select(Place).where(Place.title == "Swiss Science Center Technorama"))
    old.published_at = datetime.now(UTC) - timedelta(days=400)
    db_session.flush()
    login(client, "walker@example.org")
    client.post("/language", data={"lang": "en", "next": "/"})
    html = client.get("/").get_data(as_text=True)
    followed = html.index("New in the themes you follow")
    assert followed < html.index('id="home-map"')
    section = html[followed: html.index('id="home-map"')]
    assert "Schloss Hegi" in section
    assert "Technorama" not in section  # too old to be new
    assert "Waaghaus" not in section  # not in a followed theme
    assert section.index("Schloss Hegi") < section.index("Stadtgarten")


def test_anonymous_home_has_no_followed_section(client, demo):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "New in the themes you follow" not in html
