"""POST /api/v1/places and the /contribute form: a pending place with its first revision,
all or nothing, idempotent retries, and a clear 4xx for every bad input."""

import io

import pytest
from sqlalchemy import func, select

from app.models.statuses import MediaKind, PlaceStatus
from tests.conftest import CORPUS, create_user, login
from tests.integration.test_media import assert_no_metadata, files_under, jpeg_with_gps

PHOTOS = CORPUS / "photos"
WINTERTHUR = (8.7290, 47.5003)  # lon, lat: near the old town, away from demo places


# Every test here stores media files (the media_root fixture is in tests/conftest.py).
pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture(autouse=True)
def english(client, db_session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.post("/language", data={"lang": "en"})  # an explicit choice beats the account's


def counts(db_session):
    from app.models import IdempotencyKey, Media, Place, PlaceRevision

    return tuple(
        db_session.scalar(select(func.count()).select_from(m))
        for m in (Place, PlaceRevision, Media, IdempotencyKey)
    )


def form(**overrides):
    data = {
        "title": "Die alte Bäckerei",
        "body": "Hier roch es jeden Morgen nach *frischem Brot*.",
        "lon": str(WINTERTHUR[0]),
        "lat": str(WINTERTHUR[1]),
        "themes": "",
        "era": "1960s",
        "language": "de",
        "licence_consent": "1",
        "credit_name": "Rosa",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, data, key=None, **kw):
    """POST /api/v1/places as the logged-in browser does: session cookie + X-CSRFToken."""
    token = client.get("/contribute/csrf").get_json()["csrf_token"]
    headers = {"X-CSRFToken": token, **({"Idempotency-Key": key} if key else {})}
    return client.post("/api/v1/places", data=data, headers=headers,
                       content_type="multipart/form-data", **kw)


def test_contribution_creates_pending_place_revision_and_clean_media(
    client, resident, db_session, media_root
):
    login(client, resident.email)
    photo = (PHOTOS / "exifpy__landscape_6.jpg").read_bytes()
    resp = post(client, form(photo=(io.BytesIO(photo), "IMG_0001.JPG")), key="k-1")
    assert resp.status_code == 201, resp.get_json()
    feature = resp.get_json()
    assert feature["type"] == "Feature" and isinstance(feature["id"], int)
    props = feature["properties"]
    assert props["status"] == "pending" and props["version"] == 1
    assert feature["geometry"]["coordinates"] == pytest.approx(list(WINTERTHUR))
    [medium] = props["media"]
    assert medium["url"].startswith("/media/") and medium["status"] == "pending"

    from app.models import Place, PlaceRevision

    place = db_session.get(Place, feature["id"])
    assert place.author_id == resident.id and place.era_year == 1960
    assert place.era_precision == "decade" and place.consent_method == "self"
    [rev] = db_session.scalars(select(PlaceRevision).where(PlaceRevision.place_id == place.id))
    assert rev.number == 1 and rev.status == "pending" and rev.snapshot["title"] == place.title
    assert rev.snapshot["media"] == [medium["id"]]

    with client.get(medium["url"]) as public:
        assert public.status_code == 200
        assert_no_metadata(public.data)
    # Its author sees it in their list; it is not public.
    mine = client.get("/me/contributions")
    assert "Die alte Bäckerei".encode() in mine.data and b"Waiting for review" in mine.data
    with client.application.app_context():  # a fresh `g`: another visitor, not logged in
        assert client.application.test_client().get(f"/places/{place.id}").status_code == 404


def test_position_from_a_photos_gps(client, resident, db_session):
    login(client, resident.email)
    data = jpeg_with_gps(47.4990, 8.7300)
    resp = post(client, form(lon=None, lat=None, position_from_photo="1",
                             photo=(io.BytesIO(data), "gps.jpg")))
    assert resp.status_code == 201, resp.get_json()
    lon, lat = resp.get_json()["geometry"]["coordinates"]
    assert lon == pytest.approx(8.7300, abs=1e-4) and lat == pytest.approx(47.4990, abs=1e-4)


def test_photo_gps_outside_the_service_area_is_refused(client, resident, db_session, media_root):
    login(client, resident.email)
    before = counts(db_session)
    rome = (PHOTOS / "mei__Apple_iPhone_4.jpg").read_bytes()
    resp = post(client, form(lon=None, lat=None, position_from_photo="1",
                             photo=(io.BytesIO(rome), "rome.jpg")))
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["field"] == "position" and "outside the area" in error["message"]
    assert counts(db_session) == before and files_under(media_root) == []


def test_photo_without_gps_says_so(client, resident, db_session):
    login(client, resident.email)
    plain = (PHOTOS / "exifpy__no_exif.jpg").read_bytes()
    resp = post(client, form(lon=None, lat=None, position_from_photo="1",
                             photo=(io.BytesIO(plain), "plain.jpg")))
    assert resp.status_code == 422
    assert "carries no position" in resp.get_json()["error"]["message"]


@pytest.mark.parametrize("name,data,text", [
    ("notes.jpg", b"These are my notes, not a photo.\n" * 50, "not a photo we can read"),
    ("truncated.jpg", (PHOTOS / "pillow__truncated_jpeg.jpg").read_bytes(), "damaged"),
])
def test_bad_photo_among_good_ones_stores_nothing(
    client, resident, db_session, media_root, name, data, text
):
    login(client, resident.email)
    before = counts(db_session)
    good = (PHOTOS / "exifpy__landscape_1.jpg").read_bytes()
    resp = post(client, form(photo=[(io.BytesIO(good), "good.jpg"), (io.BytesIO(data), name)]))
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["field"] == "photo" and name in error["message"] and text in error["message"]
    assert counts(db_session) == before and files_under(media_root) == []


def test_decompression_bomb_upload(client, resident, db_session, media_root):
    from PIL import Image

    login(client, resident.email)
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG", optimize=True)
    resp = post(client, form(photo=(io.BytesIO(out.getvalue()), "bomb.png")))
    assert resp.status_code == 422
    assert "too many pixels" in resp.get_json()["error"]["message"]
    assert counts(db_session)[0] == 0 and files_under(media_root) == []


def test_sixty_megabytes_are_refused_before_the_body_is_read(client, resident, db_session):
    login(client, resident.email)

    class Untouchable(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, buffer):
            raise AssertionError("the body was read")

    size = 60 * 1024 * 1024
    for url in ("/api/v1/places", "/contribute"):
        resp = client.post(url, environ_overrides={
            "wsgi.input": Untouchable(), "CONTENT_LENGTH": str(size),
            "CONTENT_TYPE": "multipart/form-data; boundary=x", "HTTP_ACCEPT_LANGUAGE": "en",
        })
        assert resp.status_code == 413
        if url.startswith("/api/"):
            assert resp.get_json()["error"]["code"] == "request_entity_too_large"


def test_script_in_the_story_is_stored_but_rendered_inert(client, resident, curator, db_session):
    login(client, resident.email)
    story = 'Hallo <script>alert("x")</script> <img src=x onerror=alert(1)> [link](javascript:alert(2))'
    resp = post(client, form(body=story))
    assert resp.status_code == 201
    from app.models import Place

    place = db_session.get(Place, resp.get_json()["id"])
    assert place.body == story  # stored as typed
    import lxml.html

    page = lxml.html.fromstring(client.get("/me/contributions").data)
    [story] = page.xpath(f'//*[@id="place-{place.id}"]//div[@class="story"]')
    assert story.xpath(".//script | .//img | .//*[@onerror]") == []
    assert all(not a.get("href", "").startswith("javascript:") for a in story.xpath(".//a"))
    assert '<script>alert("x")</script>' in story.text_content()  # shown as text, inert


def test_idempotent_retries_create_exactly_one_place(client, resident, db_session):
    login(client, resident.email)
    photo = (PHOTOS / "exifpy__landscape_1.jpg").read_bytes()
    first = post(client, form(photo=(io.BytesIO(photo), "a.jpg")), key="same-key")
    again = post(client, form(photo=(io.BytesIO(photo), "a.jpg")), key="same-key")
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"]
    assert counts(db_session)[:3] == (1, 1, 1)
    other = post(client, form(title="Etwas ganz anderes"), key="same-key")
    assert other.status_code == 409
    assert other.get_json()["error"]["code"] == "idempotency_mismatch"
    assert counts(db_session)[:3] == (1, 1, 1)


def test_similar_approved_place_within_50_m_asks_first(client, resident, db_session):
    from geoalchemy2.shape import from_shape, to_shape
    from shapely.geometry import Point

    from app.models import Place

    login(client, resident.email)
    existing = Place(slug="stadthaus", title="Stadthaus Winterthur", status=PlaceStatus.APPROVED,
                     geom=from_shape(Point(8.7265, 47.4993), srid=4326))
    far = Place(slug="stadthaus-2", title="Stadthaus Winterthur", status=PlaceStatus.APPROVED,
                geom=from_shape(Point(8.7300, 47.4993), srid=4326))  # about 260 m east
    db_session.add_all([existing, far])
    # Committed (a savepoint release): the refused request below rolls back its own work.
    db_session.commit()
    point = to_shape(existing.geom)
    data = form(title=existing.title + "!", lon=str(point.x + 0.0001), lat=str(point.y))
    resp = post(client, data)
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "possible_duplicate"
    assert [c["id"] for c in error["candidates"]] == [existing.id]
    similar = client.get("/contribute/similar", query_string={
        "title": existing.title, "lon": point.x, "lat": point.y}).get_json()
    assert similar["candidates"][0]["id"] == existing.id
    resp = post(client, {**data, "not_duplicate": "1"})
    assert resp.status_code == 201


def test_resident_may_not_enter_a_story_on_someones_behalf(client, resident, db_session):
    login(client, resident.email)
    resp = post(client, form(author_name="Frau Meier", consent_method="spoken",
                             consent_date="2026-01-10"))
    assert resp.status_code == 403
    assert counts(db_session)[0] == 0


def test_helper_enters_a_story_on_behalf_with_consent(client, db_session, media_root):
    helper = create_user("helper@example.org")
    helper.is_helper = True
    login(client, helper.email)
    scan = (PHOTOS / "exifpy__landscape_1.jpg").read_bytes()
    resp = post(client, form(author_name="Frau Meier", consent_method="paper_form",
                             consent_date="2026-01-10",
                             consent_scan=(io.BytesIO(scan), "form.jpg")))
    assert resp.status_code == 201, resp.get_json()
    from app.models import Media, Place

    place = db_session.get(Place, resp.get_json()["id"])
    assert place.author_name == "Frau Meier" and place.helper_id == helper.id
    assert place.author_id is None and place.consent_method == "paper_form"
    assert place.credit_name == "Rosa"
    [scan_row] = db_session.scalars(select(Media).where(Media.kind == MediaKind.CONSENT_SCAN))
    assert scan_row.variants == {}  # never public
    assert resp.get_json()["properties"]["media"] == []
    missing = post(client, form(author_name="Herr Huber"))
    assert missing.status_code == 422
    assert set(missing.get_json()["error"]["fields"]) >= {"consent_method", "consent_date"}


def test_api_needs_a_login_or_token_and_a_csrf_header_for_cookies(app, clone_db):
    from tests.conftest import make_test_app

    strict = make_test_app(clone_db("csrf"), WTF_CSRF_ENABLED=True)
    with strict.app_context():
        from app.extensions import db

        create_user("csrf@example.org")
        db.session.commit()
        client = strict.test_client()
        assert client.post("/api/v1/places", data=form()).status_code == 401
        page = client.get("/login").data.decode()
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/login", data={"email": "csrf@example.org",
                                    "password": "a long passphrase 42", "csrf_token": token})
    with strict.app_context():
        resp = client.post("/api/v1/places", data=form())
        assert resp.status_code == 401 and "CSRF" in resp.get_json()["error"]["message"]
    with strict.app_context():
        db.engine.dispose()


def test_html_form_without_javascript(client, resident, db_session):
    login(client, resident.email)
    page = client.get("/contribute")
    assert page.status_code == 200 and b'name="idempotency_key"' in page.data
    resp = client.post("/contribute", data=form(title="", idempotency_key="html-1"),
                       content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.data.decode()
    assert 'id="title-error"' in html and "Give the place a title." in html
    assert "Hier roch es jeden Morgen" in html  # what I typed comes back
    resp = client.post("/contribute", data=form(idempotency_key="html-1"),
                       content_type="multipart/form-data")
    assert resp.status_code == 303 and "/me/contributions" in resp.location


def test_edit_while_pending_supersedes_the_revision(client, resident, curator, db_session):
    from app.models import Place, PlaceRevision

    login(client, resident.email)
    feature = post(client, form()).get_json()
    place = db_session.get(Place, feature["id"])
    resp = client.post(f"/me/contributions/{place.id}/edit", data={
        **form(title="Die alte Bäckerei am Markt"), "version": str(place.version)},
        content_type="multipart/form-data")
    assert resp.status_code == 303
    revs = db_session.scalars(select(PlaceRevision).where(PlaceRevision.place_id == place.id)
                              .order_by(PlaceRevision.number)).all()
    assert [(r.number, r.status) for r in revs] == [(1, "superseded"), (2, "pending")]
    assert revs[1].snapshot["title"] == "Die alte Bäckerei am Markt"
    stale = client.post(f"/me/contributions/{place.id}/edit", data={
        **form(), "version": "1"}, content_type="multipart/form-data")
    assert stale.status_code == 409
    # Someone else cannot edit it, and once reviewed it is no longer editable here.
    client.post("/logout")
    other = create_user("other@example.org")
    login(client, other.email)
    assert client.get(f"/me/contributions/{place.id}/edit").status_code == 404
    place.status = PlaceStatus.APPROVED
    db_session.commit()
    client.post("/logout")
    login(client, resident.email)
    assert client.get(f"/me/contributions/{place.id}/edit").status_code == 409


@pytest.mark.parametrize("choice", ["delete", "anonymise"])
def test_deleting_my_account_deletes_or_anonymises_my_places(client, db_session, media_root, choice):
    from app.models import Place, User

    user = create_user(f"{choice}@example.org")
    login(client, user.email)
    photo = (PHOTOS / "exifpy__landscape_1.jpg").read_bytes()
    resp = post(client, form(title=f"Place to {choice}", photo=(io.BytesIO(photo), "p.jpg")))
    assert resp.status_code == 201, resp.get_json()
    place_id = resp.get_json()["id"]
    assert len(files_under(media_root)) == 4
    resp = client.post("/account/delete", data={
        "contributions": choice, "password": "a long passphrase 42", "confirm": "y"})
    assert resp.status_code == 303
    db_session.expire_all()
    assert db_session.get(User, user.id) is None
    place = db_session.get(Place, place_id)
    if choice == "delete":
        assert place is None
        assert files_under(media_root) == []
    else:
        assert place is not None and place.author_id is None and place.credit_name == ""
        assert len(files_under(media_root)) == 4
