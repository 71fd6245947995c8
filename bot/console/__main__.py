"""``python -m bot.console [--host H] [--port P]``: the console without the ``chuangye`` command (tests use it)."""

from __future__ import annotations

import argparse
import sys

from bot.console.cli import serve_console


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console", description="chuangye-bot review console")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    secure = parser.add_mutually_exclusive_group()
    secure.add_argument("--secure-cookies", dest="cookie_secure", action="store_true", default=None,
                        help="always mark cookies Secure (behind an https proxy)")
    secure.add_argument("--insecure-cookies", dest="cookie_secure", action="store_false",
                        help="never mark cookies Secure")
    parser.add_argument("--proxies", type=int, default=0, metavar="N",
                        help="trust X-Forwarded-For/-Proto from N reverse proxies in front of the console")
    args = parser.parse_args()
    return serve_console(args.host, args.port, args.cookie_secure, args.proxies)


if __name__ == "__main__":
    sys.exit(main())
