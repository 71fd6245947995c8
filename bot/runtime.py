"""What every process running Rasa's dialogue or NLU installs at start-up, before the model loads."""

from __future__ import annotations


def install_rasa_adjustments() -> None:
    """Faster per-turn work (``bot.performance``, ``bot.rule_states``, ``bot.tracker_copies``,
    ``bot.graph_runner``), kept-alive connections to the action server (``bot.action_client``) and a bounded
    action-server call (``bot.action_timeout``)."""
    from bot import action_client, action_timeout, graph_runner, performance, rule_states, tracker_copies

    performance.install()
    rule_states.install()
    tracker_copies.install()
    graph_runner.install()
    action_client.install()
    action_timeout.install()
