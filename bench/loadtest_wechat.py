"""WeChat for the load test: signed plaintext-mode requests and a loopback stand-in for WeChat's API.

The assistant answers a WeChat message passively when its turn takes under ~4 s; otherwise it answers
``success`` and sends the reply through the customer-service API (``/cgi-bin/message/custom/send``), which
``FakeWeChatAPI`` receives here, per openid, so a simulated user can wait for it. Long replies come as several
messages (600 characters each): the first one after the request counts as the answer, the others as
continuation pieces.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from aiohttp import web
from wechatpy.utils import WeChatSigner

TOKEN = "loadtest-token"
APP_ID = "wx00000000loadtest"
APP_SECRET = "loadtest-app-secret"
OFFICIAL_ACCOUNT = "gh_loadtest"
HOST = "127.0.0.1"


def signed_query(token: str = TOKEN) -> dict[str, str]:
    """The query WeChat puts on every POST: a fresh timestamp and nonce, signed with the token."""
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}


def text_message_xml(openid: str, content: str, msg_id: int) -> bytes:
    """A plaintext-mode text message as WeChat posts it (content must not contain "]]>")."""
    return (f"<xml><ToUserName><![CDATA[{OFFICIAL_ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>").encode()


@dataclass
class FakeWeChatAPI:
    """api.weixin.qq.com on loopback: access tokens, and customer-service messages recorded per openid."""

    sent: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    token_requests: int = 0
    runner: web.AppRunner | None = None
    url: str = ""
    _arrived: asyncio.Condition | None = None

    async def start(self) -> FakeWeChatAPI:
        self._arrived = asyncio.Condition()
        application = web.Application()
        application.router.add_get("/cgi-bin/token", self._token)
        application.router.add_post("/cgi-bin/message/custom/send", self._send)
        self.runner = web.AppRunner(application, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, HOST, 0)
        await site.start()
        self.url = f"http://{HOST}:{self.runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def api_base_url(self) -> str:
        """WECHAT_API_BASE_URL for the assistant."""
        return f"{self.url}/cgi-bin/"

    async def _token(self, _: web.Request) -> web.Response:
        self.token_requests += 1
        return web.json_response({"access_token": "LOADTEST-ACCESS-TOKEN", "expires_in": 7200})

    async def _send(self, request: web.Request) -> web.Response:
        message = await request.json()
        assert self._arrived is not None
        async with self._arrived:
            self.sent[message["touser"]].append(message["text"]["content"])
            self._arrived.notify_all()
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def wait_for(self, openid: str, count: int, timeout: float) -> bool:
        """True once ``openid`` has received at least ``count`` customer-service messages."""
        assert self._arrived is not None
        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.sent[openid]) >= count), timeout)
            except asyncio.TimeoutError:
                return False
        return True
