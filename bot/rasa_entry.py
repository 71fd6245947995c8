"""The ``rasa`` command as the assistant's Rasa server runs it, without loading what it never uses.

TensorFlow 2.12 (which Rasa imports) depends on JAX and imports it, if present, only to convert JAX models for
TensorFlow Lite (``tensorflow.lite.python.util``). Neither Rasa nor this assistant does that, and the import
costs about 100 MB of memory and 0.3 s of start-up in every server process. Marking the module as absent makes
that optional import fail the way it does where JAX is not installed.

    python -m bot.rasa_entry run -m models/chuangye.tar.gz …   (the same arguments as ``rasa``)
"""

from __future__ import annotations

import sys

# Modules an optional import of TensorFlow reaches for that the Rasa server never uses.
UNUSED_MODULES = ("jax",)


def main() -> None:
    for name in UNUSED_MODULES:
        sys.modules.setdefault(name, None)  # type: ignore[assignment]  (None: "import fails", Python's convention)
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
