"""Which channels are on: a channel is enabled only when its environment variables are set."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.settings import Settings

REST_CHANNEL = "bot.channels.rest.RestInput"  # Rasa's REST channel with the body checked, same URL
HEALTH_CHANNEL = "bot.channels.health.HealthInput"  # GET /health (readiness), always on
CONNECTORS = {
    "wechat": "bot.channels.wechat.WeChatInput",
    "telegram": "bot.channels.telegram.TelegramInput",
    "sms": "bot.channels.sms.SmsInput",
}


def enabled_channels(settings: Settings) -> list[str]:
    """The webhook channels to serve (Telegram's webhook needs its secret; polling runs separately)."""
    webhook_telegram = settings.telegram if settings.telegram and settings.telegram.webhook_secret else None
    configured = {"wechat": settings.wechat, "telegram": webhook_telegram, "sms": settings.sms}
    return [name for name, channel_settings in configured.items() if channel_settings is not None]


def write_credentials(settings: Settings, path: Path) -> list[str]:
    """Write a Rasa credentials file with REST plus the enabled channels; returns the channel names on.

    Secrets are not written: each connector reads its own from the environment.
    """
    channels = enabled_channels(settings)
    credentials: dict[str, dict | None] = {REST_CHANNEL: None, HEALTH_CHANNEL: {}}
    credentials.update({CONNECTORS[name]: {} for name in channels})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(credentials, allow_unicode=True), encoding="utf-8")
    return ["rest", *channels]
