"""Giving and taking back reactions is limited per person: taking one back deletes its row,
so the hourly count of reactions alone would let someone give and take back without end
(and tell a narrator "thanked you" each time)."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import create_user, rate_limited_app


def test_give_and_take_back_stops_at_the_limit_on_the_api_and_the_page(clone_db):
    from app.extensions import db
    from app.models import Story
    from app.services.accounts import create_api_token
    from app.services.seed import seed_demo

    with rate_limited_app(clone_db("reactlimit"), CONVERSATION_REACTIONS_PER_HOUR=2,
                          WTF_CSRF_ENABLED=False) as app:
        with app.app_context():
            seed_demo()
            story_id = db.session.scalar(select(Story.id).where(
                Story.status == "approved", Story.is_lead).order_by(Story.id).limit(1))
            token = create_api_token(create_user("reacts@example.org"), "t")
            create_user("pages@example.org")
            db.session.commit()
        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        url = f"/api/v1/stories/{story_id}/reactions/thanks"
        codes = [client.open(url, method=m, headers=auth).status_code
                 for m in ("PUT", "DELETE", "PUT", "DELETE", "PUT")]
        assert codes == [200, 200, 200, 200, 429]

        page = app.test_client()
        assert page.post("/login", data={"email": "pages@example.org",
                                          "password": "a long passphrase 42"}).status_code == 303
        form = f"/stories/{story_id}/reactions/remember"
        codes = [page.post(form, data=data).status_code
                 for data in ({}, {"undo": "1"}, {}, {"undo": "1"}, {})]
        assert codes == [303, 303, 303, 303, 429]
