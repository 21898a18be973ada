"""A second fediverse server for the federation tests, built on bovine (an ActivityPub
implementation that is not ours), run in its own virtual environment on loopback.

``python bovine_peer.py PORT`` serves one actor (``/actor``, its own RSA key from bovine) and
its inbox, which accepts only requests whose HTTP signature bovine's own checker verifies
(the signer's key fetched from its keyId). The test drives it over ``/control``:

- ``POST /control/follow`` {"handle": "name@host"}: WebFinger lookup with bovine's client,
  then a Follow signed by bovine to the found actor's inbox; answers the actor id and status;
- ``POST /control/send`` {"inbox": url, "activity": {...}}: any activity signed by bovine;
- ``GET /control/received``: what reached the inbox, each with the signer bovine verified.

It prints ``ready`` once it listens. Stop it with SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp
from aiohttp import web
from bovine.clients import lookup_uri_with_webfinger
from bovine.clients.signed_http import legacy_digest_method
from bovine.clients.signed_http_methods import signed_post
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret

AP = "application/activity+json"


async def main(port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    actor_id = f"{base}/actor"
    public_pem, private_pem = generate_rsa_public_private_key()
    secret = CryptographicSecret.from_pem(f"{actor_id}#main-key", private_pem)
    received: list[dict] = []
    session = aiohttp.ClientSession()

    async def retrieve(key_id: str):
        async with session.get(key_id.split("#", 1)[0], headers={"accept": AP}) as response:
            document = await response.json(content_type=None)
        return CryptographicIdentifier.from_public_key(document.get("publicKey", document))

    validate = build_validate_http_signature_raw(retrieve)

    async def actor(_request):
        return web.json_response({
            "@context": ["https://www.w3.org/ns/activitystreams",
                         "https://w3id.org/security/v1"],
            "id": actor_id, "type": "Person", "preferredUsername": "bovine",
            "inbox": f"{base}/inbox", "outbox": f"{base}/outbox",
            "publicKey": {"id": f"{actor_id}#main-key", "owner": actor_id,
                          "publicKeyPem": public_pem}}, content_type=AP)

    async def inbox(request):
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}

        async def get_body():
            return body

        signer = await validate("post", f"{base}{request.path}", headers, get_body)
        received.append({"signer": signer, "activity": json.loads(body)})
        return web.Response(status=202 if signer else 401)

    async def post(inbox_url: str, activity: dict):
        response = await signed_post(session, secret, inbox_url, json.dumps(activity),
                                     legacy_digest_method)
        return response.status, await response.text()

    async def follow(request):
        handle = (await request.json())["handle"]
        domain = handle.split("@", 1)[1]
        target, _check = await lookup_uri_with_webfinger(session, f"acct:{handle}",
                                                         domain=f"http://{domain}")
        async with session.get(target, headers={"accept": AP}) as response:
            target_inbox = (await response.json(content_type=None))["inbox"]
        status, answer = await post(target_inbox, {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{base}/follows/{len(received)}-{os.getpid()}", "type": "Follow",
            "actor": actor_id, "object": target})
        found = {"actor": target, "inbox": target_inbox, "status": status}
        return web.json_response(found if status < 300 else {**found, "answer": answer})

    async def send(request):
        data = await request.json()
        status, answer = await post(data["inbox"], data["activity"])
        return web.json_response({"status": status} if status < 300
                                 else {"status": status, "answer": answer})

    async def show(_request):
        return web.json_response(received)

    app = web.Application()
    app.add_routes([web.get("/actor", actor), web.post("/inbox", inbox),
                    web.post("/control/follow", follow), web.post("/control/send", send),
                    web.get("/control/received", show)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
