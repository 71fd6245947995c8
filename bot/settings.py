"""All configuration read from the environment, in one place (secrets never live in the repository)."""

from __future__ import annotations

import base64
import functools
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_DIR / 'var' / 'chuangye.db'}"
# Without SENDER_HASH_SALT (a developer's machine), a salt made once per installation and kept outside the
# repository; the production profile refuses to start without SENDER_HASH_SALT (bot/prod.py).
SALT_FILE_NAME = "sender_hash_salt"
# Likewise the key that encrypts the contact of a person waiting for a human (HANDOFF_CONTACT_KEY in production).
CONTACT_KEY_FILE_NAME = "handoff_contact_key"


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
    trust_forwarded: bool = False  # behind a reverse proxy: X-Forwarded-Proto/Host give the URL Twilio signed


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
    # Conversations whose latest tracker the tracker store keeps in memory between turns (CHUANGYE_TRACKER_CACHE).
    tracker_cache_size: int = 500
    # Fernet key of the hand-off contacts (bot/storage/contacts.py).
    handoff_contact_key: str = ""
    # REST: a caller must send "Authorization: Bearer <rest_token>" when it is set; with ``rest_requires_token``
    # (the production profile) and no token, REST is off.
    rest_token: str | None = None
    rest_requires_token: bool = False


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
                       int(_env("SMS_MAX_SEGMENTS") or 3), _env("TWILIO_AUTH_TOKEN"),
                       (_env("SMS_TRUST_FORWARDED") or "").lower() in ("1", "true", "yes"))


def state_dir() -> Path:
    """Where this installation keeps what must not be in the repository: $CHUANGYE_STATE_DIR, else
    $XDG_CONFIG_HOME/chuangye or ~/.config/chuangye."""
    return _state_dir(os.environ.get("CHUANGYE_STATE_DIR"), os.environ.get("XDG_CONFIG_HOME"),
                      os.environ.get("HOME"))


@functools.lru_cache(maxsize=8)
def _state_dir(configured: str | None, config_home: str | None, home: str | None) -> Path:
    """``state_dir`` for these variables, worked out once (the salt is looked up with every message)."""
    if configured:
        return Path(configured)
    base = config_home or str(Path.home() / ".config")
    return Path(base) / "chuangye"


def installation_salt() -> str:
    """The development salt: random, made on first use, then read back (a public constant would let anyone
    recompute the hash of a phone number). Created atomically, so processes starting together agree on it."""
    return _secret_at(state_dir() / SALT_FILE_NAME)


def installation_contact_key() -> str:
    """The development key of the hand-off contacts: a Fernet key made on first use, kept like the salt."""
    return _secret_at(state_dir() / CONTACT_KEY_FILE_NAME)


def _new_secret(path: Path) -> str:
    if path.name == CONTACT_KEY_FILE_NAME:
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")  # a Fernet key
    return secrets.token_hex(32)


@functools.lru_cache(maxsize=8)
def _secret_at(path: Path) -> str:
    """Read once per process: settings are loaded on every turn."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(_new_secret(path), encoding="ascii")
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # fails if another process made it first: then theirs is the salt
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


def action_timeout_seconds() -> float:
    """ACTION_TIMEOUT_SECONDS alone: read on every action call, where building all the settings costs more."""
    return float(os.environ.get("ACTION_TIMEOUT_SECONDS") or 4.0)


def sender_hash_salt() -> str:
    """SENDER_HASH_SALT alone (else the installation's salt): read on every message."""
    return os.environ.get("SENDER_HASH_SALT") or installation_salt()


def load_settings() -> Settings:
    """Read the settings; defaults run everything locally with SQLite and nothing to install."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        sender_hash_salt=sender_hash_salt(),
        model_path=Path(os.environ.get("CHUANGYE_MODEL") or PROJECT_DIR / "models" / "chuangye.tar.gz"),
        action_server_url=os.environ.get("ACTION_SERVER_URL") or "http://127.0.0.1:5055/webhook",
        rasa_port=int(os.environ.get("RASA_PORT") or 5005),
        action_port=int(os.environ.get("ACTION_PORT") or 5055),
        retention_days=int(os.environ.get("RETENTION_DAYS") or 180),
        wechat=_wechat(),
        telegram=_telegram(),
        sms=_sms(),
        action_timeout_seconds=action_timeout_seconds(),
        tracker_cache_size=int(os.environ.get("CHUANGYE_TRACKER_CACHE") or 500),
        handoff_contact_key=os.environ.get("HANDOFF_CONTACT_KEY") or installation_contact_key(),
        rest_token=_env("REST_API_TOKEN"),
        rest_requires_token=(_env("REST_REQUIRE_TOKEN") or "").lower() in ("1", "true", "yes"),
    )
