"""One Starlette app faking every provider, run by uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
import orjson
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.services import free_port

SLACK_TOKEN = "xoxb-fake"
WA_TOKEN = "wa-fake-token"
TWILIO_SID, TWILIO_TOKEN = "AC" + "0" * 32, "twilio-auth-token"
TEAMS_APP, TEAMS_PASSWORD = "teams-app", "teams-password"
SF_ID, SF_SECRET = "sf-client", "sf-secret"
HS_TOKEN = "hs-token"
ZD_EMAIL, ZD_TOKEN = "agent@example.com", "zd-token"


@dataclass
class Call:
    provider: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.perf_counter)

    def json(self) -> Any:
        return orjson.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode()))


class FakeProviders:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.down: set[str] = set()  # receiver names answering 503
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.waiters: list[tuple[str, asyncio.AbstractEventLoop, asyncio.Event]] = []
        # Bot Framework: the key the fake Bot Connector signs activities with, published as a JWKS.
        self.teams_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.teams_kid = "fake-botframework-key"

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeProviders:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake providers did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)

    def of(self, provider: str) -> list[Call]:
        return [c for c in self.calls if c.provider == provider]

    async def wait_for(self, provider: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while len(self.of(provider)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{provider}: {len(self.of(provider))} of {count} calls after {timeout} s")
            await asyncio.sleep(0.02)
        return self.of(provider)

    def teams_bearer(self, service_url: str, *, app_id: str = TEAMS_APP, **claims: Any) -> str:
        """``Authorization`` value the Bot Connector would send with an activity for ``app_id``."""
        now = int(time.time())
        body = {
            "iss": "https://api.botframework.com",
            "aud": app_id,
            "serviceUrl": service_url,
            "nbf": now - 5,
            "exp": now + 3600,
            **claims,
        }
        token = jwt.encode(body, self.teams_key, algorithm="RS256", headers={"kid": self.teams_kid})
        return f"Bearer {token}"

    def _teams_jwks(self) -> dict[str, Any]:
        raw = orjson.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.teams_key.public_key()))
        return {"keys": [{**raw, "kid": self.teams_kid, "use": "sig", "endorsements": ["msteams"]}]}

    # --- the app ---------------------------------------------------------------------------
    async def _record(self, provider: str, request: Request) -> Call:
        call = Call(provider, request.method, request.url.path, dict(request.headers), await request.body())
        self.calls.append(call)
        return call

    def app(self) -> Starlette:
        def bearer(request: Request, token: str) -> bool:
            return request.headers.get("authorization") == f"Bearer {token}"

        def basic(request: Request, user: str, password: str) -> bool:
            raw = base64.b64encode(f"{user}:{password}".encode()).decode()
            return request.headers.get("authorization") == f"Basic {raw}"

        unauthorized = JSONResponse({"error": "unauthorized"}, status_code=401)

        async def slack(request: Request) -> Response:
            if not bearer(request, SLACK_TOKEN):
                return JSONResponse({"ok": False, "error": "invalid_auth"})
            method = request.path_params["method"]
            call = await self._record("slack" if method == "chat.postMessage" else "slack-meta", request)
            ts = f"{time.time():.6f}"
            return JSONResponse({"ok": True, "ts": ts, "channel": call.json().get("channel") if call.body else None})

        async def whatsapp(request: Request) -> Response:
            if not bearer(request, WA_TOKEN):
                return unauthorized
            if request.method == "GET":
                return JSONResponse({"id": request.path_params["phone"], "display_phone_number": "+1 555 0100"})
            await self._record("whatsapp", request)
            return JSONResponse({"messaging_product": "whatsapp", "messages": [{"id": f"wamid.{uuid.uuid4().hex}"}]})

        async def twilio(request: Request) -> Response:
            if not basic(request, TWILIO_SID, TWILIO_TOKEN):
                return unauthorized
            if request.method == "GET":
                return JSONResponse({"sid": TWILIO_SID, "status": "active"})
            await self._record("twilio", request)
            return JSONResponse({"sid": "SM" + uuid.uuid4().hex}, status_code=201)

        async def teams_token(request: Request) -> Response:
            form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
            if form.get("client_id") != TEAMS_APP or form.get("client_secret") != TEAMS_PASSWORD:
                return unauthorized
            return JSONResponse({"access_token": "teams-bearer", "expires_in": 3600})

        async def teams_openid(_request: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": "https://api.botframework.com",
                    "jwks_uri": f"{self.base}/teams/keys",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
            )

        async def teams_keys(_request: Request) -> Response:
            return JSONResponse(self._teams_jwks())

        async def teams_reply(request: Request) -> Response:
            if not bearer(request, "teams-bearer"):
                return unauthorized
            await self._record("teams", request)
            return JSONResponse({"id": uuid.uuid4().hex})

        async def sf_token(request: Request) -> Response:
            form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
            ok = form.get("grant_type") == "client_credentials" and form.get("client_id") == SF_ID
            if not ok or form.get("client_secret") != SF_SECRET:
                return JSONResponse({"error": "invalid_client"}, status_code=400)
            return JSONResponse(
                {"access_token": "sf-bearer", "instance_url": f"{self.base}/sf", "token_type": "Bearer"}
            )

        async def sf_object(request: Request) -> Response:
            if not bearer(request, "sf-bearer"):
                return JSONResponse([{"errorCode": "INVALID_SESSION_ID"}], status_code=401)
            await self._record(f"salesforce.{request.path_params['obj']}", request)
            if request.method == "PATCH":
                return Response(status_code=204)
            return JSONResponse({"id": "500" + uuid.uuid4().hex[:15], "success": True, "errors": []}, status_code=201)

        async def hubspot(request: Request) -> Response:
            if not bearer(request, HS_TOKEN):
                return unauthorized
            if request.method == "GET":
                return JSONResponse({"results": []})
            await self._record(f"hubspot.{request.path_params['obj']}", request)
            return JSONResponse({"id": str(uuid.uuid4().int)[:10]}, status_code=201)

        async def zendesk(request: Request) -> Response:
            if not basic(request, f"{ZD_EMAIL}/token", ZD_TOKEN):
                return unauthorized
            if request.method == "GET":
                return JSONResponse({"user": {"id": 1, "email": ZD_EMAIL}})
            await self._record("zendesk", request)
            return JSONResponse({"ticket": {"id": 1000 + len(self.of("zendesk"))}}, status_code=201)

        async def rest(request: Request) -> Response:
            await self._record("rest", request)
            return JSONResponse({"ok": True, "path": request.url.path})

        async def hook(request: Request) -> Response:
            name = request.path_params["name"]
            if name in self.down:
                await self._record(f"hook-refused.{name}", request)  # attempts made while down
                return Response("down", status_code=503)
            await self._record(f"hook.{name}", request)
            return Response("ok")

        return Starlette(
            routes=[
                Route("/slack/api/{method}", slack, methods=["POST"]),
                Route("/graph/{phone}", whatsapp, methods=["GET"]),
                Route("/graph/{phone}/messages", whatsapp, methods=["POST"]),
                Route("/twilio/2010-04-01/Accounts/{sid}.json", twilio, methods=["GET"]),
                Route("/twilio/2010-04-01/Accounts/{sid}/Messages.json", twilio, methods=["POST"]),
                Route("/teams/token", teams_token, methods=["POST"]),
                Route("/teams/openid", teams_openid, methods=["GET"]),
                Route("/teams/keys", teams_keys, methods=["GET"]),
                Route("/teams/v3/conversations/{conv}/activities/{act}", teams_reply, methods=["POST"]),
                Route("/sf/services/oauth2/token", sf_token, methods=["POST"]),
                Route("/sf/services/data/{v}/sobjects/{obj}", sf_object, methods=["POST"]),
                Route("/sf/services/data/{v}/sobjects/{obj}/{rid}", sf_object, methods=["PATCH"]),
                Route("/hubspot/crm/v3/objects/{obj}", hubspot, methods=["GET", "POST"]),
                Route("/zendesk/api/v2/users/me.json", zendesk, methods=["GET"]),
                Route("/zendesk/api/v2/tickets.json", zendesk, methods=["POST"]),
                Route("/rest/{rest:path}", rest, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
                Route("/hooks/{name}", hook, methods=["POST"]),
            ]
        )
