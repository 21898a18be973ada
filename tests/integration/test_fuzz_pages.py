"""Hypothesis over every path and query parameter of the HTML pages: hostile text (NUL,
lone surrogates, 10 KB strings), huge and negative integers, as a visitor and as a curator.
No answer may be a server error."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import create_user, login

# Every query parameter a page or download reads (grep request.args in app/web and app/api).
QUERY_PARAMS = ("q", "next", "f", "v", "url", "title", "theme", "target_type", "target_id",
                "sent", "near", "lon", "lat", "lang", "kind", "format", "filter_theme",
                "filter_kind", "datetime", "bbox", "a", "b", "actor", "action", "page", "era",
                "after", "limit", "cursor", "since", "until", "step_free", "audio")
MACHINE = ("/api/", "/static/", "/ogc", "/tiles/", "/feeds/", "/media/", "/healthz")

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec=None, categories=None), max_size=20),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfffy", "%00", "../../etc/passwd",
                     "<script>alert(1)</script>", "' OR 1=1 --", "1e309", "NaN", "-1",
                     "99999999999999999999", "0x10", " ", ""]),
    st.just("é" * 5000 + "x" * 5000),
)
hostile_int = st.one_of(st.integers(min_value=-(2**70), max_value=2**70),
                        st.sampled_from([0, 1, 2**31, 2**63, 2**63 - 1, 2**64]))


def _page_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(MACHINE):
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def _encode(value) -> str:
    return quote(str(value), safe="", errors="surrogatepass")


@st.composite
def requests(draw, rules):
    rule = draw(st.sampled_from(rules))
    path = rule.rule
    for arg in rule.arguments:
        converter = rule._converters[arg]
        value = draw(hostile_int) if type(converter).__name__.endswith("IntConverter") else draw(
            hostile_text.filter(lambda s: s and "/" not in s))
        path = path.replace(f"<{_converter_spec(rule, arg)}>", _encode(value))
    names = draw(st.lists(st.sampled_from(QUERY_PARAMS), max_size=4, unique=True))
    query = "&".join(f"{n}={_encode(draw(st.one_of(hostile_text, hostile_int)))}" for n in names)
    return f"{path}?{query}" if query else path


def _converter_spec(rule, arg) -> str:
    import re

    match = re.search(r"<([^<>]*:)?" + re.escape(arg) + r">", rule.rule)
    return match.group(0)[1:-1]


@pytest.mark.parametrize("role", [None, "curator"])
def test_no_page_answers_a_server_error(app, client, db_session, demo, role):
    if role:
        user = create_user(f"{role}-fuzz@example.org", role=role)
        login(client, user.email)
    rules = _page_rules(app)
    assert len(rules) > 20

    @given(url=requests(rules))
    @settings(max_examples=250, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(url):
        resp = client.get(url, headers={"Accept": "text/html"})
        assert resp.status_code < 500, (url, resp.status_code)
        resp.close()

    check()
