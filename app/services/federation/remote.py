"""Other servers: fetching their documents (never from private or loopback addresses unless
FEDERATION_ALLOW_PRIVATE is set) and the remote actors we know, with their keys."""

from __future__ import annotations

import ipaddress
import json
import socket
from email.utils import formatdate
from urllib.parse import urlparse

import requests
from apsig.draft.sign import Signer
from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.errors import ValidationError
from app.extensions import db
from app.models.federation import MAX_URI, RemoteActor
from app.services.federation import actors, keys

ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MAX_DOCUMENT = 1024 * 1024
TIMEOUT = 10


class Unreachable(Exception):
    """A remote address we may not or could not reach."""


def domain_of(uri: str) -> str:
    return (urlparse(uri).hostname or "").lower()


def check_address(url: str) -> None:
    """Refuse a URL that is not http(s) or whose host resolves to a private, loopback,
    link-local or otherwise non-public address (SSRF), unless the setting allows it."""
    parsed = urlparse(url)
    allow_private = current_app.config["FEDERATION_ALLOW_PRIVATE"]
    if parsed.scheme not in ("https", "http") or not parsed.hostname or len(url) > MAX_URI:
        raise Unreachable(f"not a web address: {url[:200]}")
    if parsed.scheme == "http" and not allow_private:
        raise Unreachable("plain http is not used for other servers")
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 443, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Unreachable(f"cannot resolve {parsed.hostname}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global and not allow_private:
            raise Unreachable(f"{parsed.hostname} is not a public address")


def signed_headers(actor: str, method: str, url: str, body: bytes = b"",
                   extra: dict | None = None) -> dict:
    """Headers of a request signed by local ``actor`` (draft-cavage, rsa-sha256 over
    (request-target) host date, and digest for a body), as Mastodon requires."""
    headers = {"Date": formatdate(usegmt=True), "Host": urlparse(url).netloc, **(extra or {})}
    signed = Signer(headers=headers, private_key=keys.private_key(actor), method=method,
                    url=url, key_id=actors.key_id(actor), body=body).sign()
    signed.pop("Authorization", None)
    return signed


def fetch(url: str) -> dict:
    """A remote ActivityPub document (signed GET by the city actor, for servers that ask)."""
    check_address(url)
    try:
        with requests.get(url, headers=signed_headers(actors.CITY, "GET", url,
                                                      extra={"Accept": ACCEPT}),
                          timeout=TIMEOUT, allow_redirects=False, stream=True) as response:
            body = response.raw.read(MAX_DOCUMENT + 1, decode_content=True)
    except requests.RequestException as exc:
        raise Unreachable(f"{url[:200]}: {exc}") from exc
    if response.status_code != 200 or len(body) > MAX_DOCUMENT:
        raise Unreachable(f"{url[:200]} answered {response.status_code}")
    try:
        found = json.loads(body)
    except ValueError as exc:
        raise Unreachable(f"{url[:200]} is not JSON") from exc
    if not isinstance(found, dict):
        raise Unreachable(f"{url[:200]} is not an object")
    return found


def _store(document: dict, fetched_from: str, key_id: str | None = None) -> RemoteActor:
    """Store the actor ``document`` fetched from ``fetched_from``: only a document its own
    server served (its id on the host it came from), and, looked up by ``key_id``, only the
    actor owning that very key; anything else could put someone else's key on an actor."""
    uri, inbox = document.get("id"), document.get("inbox")
    key = document.get("publicKey") or {}
    if isinstance(key, list):
        key = next((k for k in key if isinstance(k, dict) and k.get("id") == key_id),
                   key[0] if key else {})
    if not isinstance(key, dict) or not all(
            isinstance(v, str) and v for v in (uri, inbox, key.get("id"),
                                               key.get("publicKeyPem"))):
        raise ValidationError("The actor document lacks its id, inbox or public key.")
    if key.get("owner", uri) != uri or domain_of(key["id"]) != domain_of(uri):
        raise ValidationError("The key does not belong to the actor.")
    if domain_of(uri) != domain_of(fetched_from) or (key_id and key["id"] != key_id):
        raise ValidationError("The actor document is not the one asked for.")
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    shared = endpoints.get("sharedInbox") if isinstance(endpoints.get("sharedInbox"), str) else None
    values = {"uri": uri[:MAX_URI], "domain": domain_of(uri), "inbox": inbox[:MAX_URI],
              "shared_inbox": shared[:MAX_URI] if shared else None, "key_id": key["id"][:MAX_URI],
              "public_pem": key["publicKeyPem"],
              "username": str(document.get("preferredUsername") or "")[:200]}
    db.session.execute(insert(RemoteActor).values(**values).on_conflict_do_update(
        index_elements=[RemoteActor.uri],
        set_={**values, "fetched_at": db.func.now()}))
    return db.session.scalar(select(RemoteActor).where(RemoteActor.uri == uri)
                             .execution_options(populate_existing=True))


def actor_by_key(key_id: str, *, refresh: bool = False) -> RemoteActor:
    """The remote actor owning ``key_id``: known, or fetched (the key's document or its
    actor's) and stored; ``refresh`` fetches again (a rotated key)."""
    if not refresh:
        known = db.session.scalar(select(RemoteActor).where(RemoteActor.key_id == key_id))
        if known is not None:
            return known
    fetched_from = key_id.split("#", 1)[0]
    document = fetch(fetched_from)
    if "inbox" not in document and isinstance(document.get("owner"), str):
        # a key document of its own: its owner must be on the same server
        if domain_of(document["owner"]) != domain_of(fetched_from):
            raise ValidationError("The key's owner is on another server.")
        fetched_from = document["owner"]
        document = fetch(fetched_from)
    return _store(document, fetched_from, key_id)
