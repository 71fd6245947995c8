"""A live assistant with every channel enabled (test credentials), plus loopback fakes of the platform APIs."""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.server import HOST, free_port, start_servers, stop_servers, wait_until_up
from tests.channels.fakes import RecordingAPI
from tests.conftest import MODEL_PATH

WECHAT_TOKEN = "chuangye-test-token"
WECHAT_APP_ID = "wx0123456789abcdef"
WECHAT_APP_SECRET = "test-app-secret"
WECHAT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat issues them
TELEGRAM_BOT_TOKEN = "123456:TEST-TOKEN"
TELEGRAM_WEBHOOK_SECRET = "telegram-test-secret"
SMS_WEBHOOK_SECRET = "sms-test-secret"
TWILIO_AUTH_TOKEN = "twilio-test-token"

_message_ids = itertools.count(1)



def telegram_responder(path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Minimal Bot API answers: enough for python-telegram-bot's Bot to send and answer."""
    method = path.rsplit("/", 1)[-1]
    if method == "getMe":
        return 200, {"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "创业助手",
                                            "username": "chuangye_test_bot"}}
    if method in ("sendMessage", "editMessageText"):
        chat_id = int(params.get("chat_id", 0))
        return 200, {"ok": True, "result": {
            "message_id": next(_message_ids), "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"}, "text": params.get("text", ""),
        }}
    if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
        return 200, {"ok": True, "result": True}
    if method == "getUpdates":
        return 200, {"ok": True, "result": []}
    return 404, {"ok": False, "error_code": 404, "description": f"Not Found: {method}"}


class WeChatAPI:
    """A stand-in for api.weixin.qq.com: access tokens and customer-service messages (errcode settable)."""

    def __init__(self) -> None:
        self.send_errcode = 0
        self.api = RecordingAPI(self.respond)

    def respond(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path.endswith("/token"):
            return 200, {"access_token": "FAKE-ACCESS-TOKEN", "expires_in": 7200}
        if path.endswith("/message/custom/send"):
            if self.send_errcode:
                return 200, {"errcode": self.send_errcode, "errmsg": "response out of time limit"}
            return 200, {"errcode": 0, "errmsg": "ok"}
        return 404, {"errcode": 404, "errmsg": "not found"}


@dataclass
class LiveAssistant:
    base_url: str
    database_url: str
    telegram_api: RecordingAPI
    wechat_api: WeChatAPI

    def webhook(self, channel: str) -> str:
        return f"{self.base_url}/webhooks/{channel}/webhook"


@contextlib.contextmanager
def live_channels(database_url: str) -> Iterator[tuple[int, list[subprocess.Popen], RecordingAPI, WeChatAPI]]:
    """Rasa server + action server with every channel on (test credentials), against loopback platform fakes:
    (Rasa port, processes with the action server first, the Telegram fake, the WeChat fake)."""
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train`")
    telegram_api = RecordingAPI(telegram_responder).start()
    wechat_api = WeChatAPI()
    wechat_api.api.start()
    rasa_port, action_port = free_port(), free_port()
    environment = {
        "DATABASE_URL": database_url,
        "WECHAT_TOKEN": WECHAT_TOKEN, "WECHAT_APP_ID": WECHAT_APP_ID, "WECHAT_APP_SECRET": WECHAT_APP_SECRET,
        "WECHAT_AES_KEY": WECHAT_AES_KEY, "WECHAT_API_BASE_URL": f"{wechat_api.api.url}/cgi-bin/",
        "TELEGRAM_BOT_TOKEN": TELEGRAM_BOT_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_WEBHOOK_SECRET,
        "TELEGRAM_API_BASE_URL": f"{telegram_api.url}/bot",
        "SMS_WEBHOOK_SECRET": SMS_WEBHOOK_SECRET, "SMS_GATEWAY": "log", "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "SMS_TRUST_FORWARDED": "1",  # the proxy test: the test server stands for one behind a reverse proxy
    }
    processes = start_servers(MODEL_PATH, rasa_port, action_port, environment)
    try:
        assert wait_until_up(f"http://{HOST}:{rasa_port}/", timeout_seconds=240), "Rasa server did not start"
        assert wait_until_up(f"http://{HOST}:{action_port}/health", timeout_seconds=60), "actions did not start"
        yield rasa_port, processes, telegram_api, wechat_api
    finally:
        stop_servers(processes)
        telegram_api.stop()
        wechat_api.api.stop()


@pytest.fixture(scope="session")
def live_assistant(database_url: str) -> Iterator[LiveAssistant]:
    """The live assistant on the test session's database."""
    with live_channels(database_url) as (rasa_port, _, telegram_api, wechat_api):
        yield LiveAssistant(f"http://{HOST}:{rasa_port}", database_url, telegram_api, wechat_api)
