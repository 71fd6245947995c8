"""The ``rasa`` command as the assistant's Rasa server runs it: without loading what it never uses, and without
telling callers which Rasa it is.

TensorFlow 2.12 (which Rasa imports) depends on JAX and imports it, if present, only to convert JAX models for
TensorFlow Lite (``tensorflow.lite.python.util``). Neither Rasa nor this assistant does that, and the import
costs about 100 MB of memory and 0.3 s of start-up in every server process. Marking the module as absent makes
that optional import fail the way it does where JAX is not installed.

Rasa answers ``GET /`` with "Hello from Rasa: <version>", which tells an attacker which known flaws to try;
the server's root answers like the channels' health routes instead (the app is built by
``rasa.core.run.configure_app``, which this module wraps to add one request middleware).

    python -m bot.rasa_entry run -m models/chuangye.tar.gz …   (the same arguments as ``rasa``)
"""

from __future__ import annotations

import functools
import sys
from typing import Any

# Modules an optional import of TensorFlow reaches for that the Rasa server never uses.
UNUSED_MODULES = ("jax",)


ROOT_ANSWER = {"status": "ok"}


async def neutral_root(request: Any) -> Any:
    """``GET /`` (and HEAD) answered before Rasa's own route, without its version; other paths pass."""
    if request.path == "/" and request.method in ("GET", "HEAD"):
        from sanic import response

        return response.json(ROOT_ANSWER)
    return None


def without_version(configure_app: Any) -> Any:
    @functools.wraps(configure_app)
    def configured(*args: Any, **kwargs: Any) -> Any:
        app = configure_app(*args, **kwargs)
        app.register_middleware(neutral_root, "request")
        return app

    return configured


def main() -> None:
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[assignment]  (None: "import fails", Python's convention)
    import rasa.core.run
    from rasa.__main__ import main as rasa_main

    rasa.core.run.configure_app = without_version(rasa.core.run.configure_app)
    rasa_main()


if __name__ == "__main__":
    main()
