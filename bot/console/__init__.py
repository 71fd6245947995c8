"""The staff review console: conversations, corrections, exports, hand-offs, dashboard and accounts."""
