"""All configuration read from the environment, in one place (secrets never live in the repository)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_DIR / 'var' / 'chuangye.db'}"
# Only for a developer's machine: deployments set SENDER_HASH_SALT (see .env.example).
DEVELOPMENT_SALT = "chuangye-development-salt"


@dataclass(frozen=True)
class WeChatSettings:
    token: str
    app_id: str
    app_secret: str
    aes_key: str | None  # set: safe (encrypted) mode
    api_base_url: str | None  # a proxy or test double of api.weixin.qq.com


@dataclass(frozen=True)
class TelegramSettings:
    bot_token: str
    webhook_secret: str | None  # required for the webhook; polling (chuangye telegram-poll) needs only the token
    api_base_url: str | None  # a self-hosted Bot API server


@dataclass(frozen=True)
class SmsSettings:
    webhook_secret: str
    gateway: str  # "log" (replies stored, for testing) or "http"
    gateway_url: str | None
    max_segments: int
    twilio_auth_token: str | None


@dataclass(frozen=True)
class Settings:
    database_url: str
    sender_hash_salt: str
    model_path: Path
    action_server_url: str
    rasa_port: int
    action_port: int
    retention_days: int
    wechat: WeChatSettings | None  # None: the channel is not enabled
    telegram: TelegramSettings | None
    sms: SmsSettings | None
    # The Rasa server's wait for the action server before it answers "temporarily unavailable" (Rasa's own: 300 s).
    action_timeout_seconds: float = 4.0


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _wechat() -> WeChatSettings | None:
    token, app_id, secret = _env("WECHAT_TOKEN"), _env("WECHAT_APP_ID"), _env("WECHAT_APP_SECRET")
    if not (token and app_id and secret):
        return None
    return WeChatSettings(token, app_id, secret, _env("WECHAT_AES_KEY"), _env("WECHAT_API_BASE_URL"))


def _telegram() -> TelegramSettings | None:
    token = _env("TELEGRAM_BOT_TOKEN")
    if not token:
        return None
    return TelegramSettings(token, _env("TELEGRAM_WEBHOOK_SECRET"), _env("TELEGRAM_API_BASE_URL"))


def _sms() -> SmsSettings | None:
    secret = _env("SMS_WEBHOOK_SECRET")
    if not secret:
        return None
    return SmsSettings(secret, _env("SMS_GATEWAY") or "log", _env("SMS_GATEWAY_URL"),
                       int(_env("SMS_MAX_SEGMENTS") or 3), _env("TWILIO_AUTH_TOKEN"))


def load_settings() -> Settings:
    """Read the settings; defaults run everything locally with SQLite and nothing to install."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        sender_hash_salt=os.environ.get("SENDER_HASH_SALT") or DEVELOPMENT_SALT,
        model_path=Path(os.environ.get("CHUANGYE_MODEL") or PROJECT_DIR / "models" / "chuangye.tar.gz"),
        action_server_url=os.environ.get("ACTION_SERVER_URL") or "http://127.0.0.1:5055/webhook",
        rasa_port=int(os.environ.get("RASA_PORT") or 5005),
        action_port=int(os.environ.get("ACTION_PORT") or 5055),
        retention_days=int(os.environ.get("RETENTION_DAYS") or 180),
        wechat=_wechat(),
        telegram=_telegram(),
        sms=_sms(),
        action_timeout_seconds=float(os.environ.get("ACTION_TIMEOUT_SECONDS") or 4.0),
    )
