"""Rasa input/output channels for WeChat, Telegram and SMS, and the rendering they share."""
