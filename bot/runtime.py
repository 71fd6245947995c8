"""What every process running Rasa's dialogue or NLU installs at start-up, before the model loads."""

from __future__ import annotations


def install_rasa_adjustments() -> None:
    """Faster per-turn work (``bot.performance``) and a bounded action-server call (``bot.action_timeout``)."""
    from bot import action_timeout, performance

    performance.install()
    action_timeout.install()
