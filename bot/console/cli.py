"""The console's commands, for ``bot/cli.py`` to register: ``console``, ``staff add`` and ``review export-nlu``."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from bot.console import audit
from bot.console.accounts import AccountError, create_staff, list_staff
from bot.console.config import ConsoleConfig
from bot.settings import load_settings
from bot.storage.database import engine_for

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _read_password(name: str) -> str:
    """From the terminal (asked twice), or the first line of standard input when it is not a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass(f"Password for {name}: ")
    if getpass.getpass("Repeat the password: ") != password:
        raise AccountError("mismatch", "the two passwords differ")
    return password


def staff_add(args: argparse.Namespace) -> int:
    """``chuangye staff add NAME --role reviewer|admin``: the password comes from a prompt or stdin."""
    database_url = load_settings().database_url
    try:
        password = _read_password(args.name)
        staff_id = create_staff(database_url, args.name, args.role, password)
    except AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    audit.record(database_url, "cli", "staff_add", args.name, args.role)
    print(f"added {args.role} {args.name} (id {staff_id})")
    return 0


def serve_console(host: str = "127.0.0.1", port: int = 8080, cookie_secure: bool | None = None,
                  proxies_count: int = 0) -> int:
    """``chuangye console``: serve the review console until Ctrl-C.

    ``cookie_secure`` None marks cookies Secure when the request came over https; ``proxies_count`` is the number
    of reverse proxies whose X-Forwarded-* headers are trusted (0: none).
    """
    from bot.console.web.app import create_app

    database_url = load_settings().database_url
    engine_for(database_url)  # brings the schema up to date before the first request
    if not list_staff(database_url):
        print("no staff accounts yet: add one with `chuangye staff add NAME --role admin`", flush=True)
    if host not in LOOPBACK and cookie_secure is not True:
        print("warning: serving beyond loopback; put it behind https and force Secure cookies", flush=True)
    app = create_app(ConsoleConfig(database_url=database_url, cookie_secure=cookie_secure,
                                   proxies_count=proxies_count))
    print(f"review console on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    app.run(host=host, port=port, access_log=False, motd=False, workers=1)
    return 0


def export_nlu(out_path: Path | str) -> int:
    """``chuangye review export-nlu OUT``: the reviewers' corrections as Rasa NLU YAML ("-": standard output)."""
    from bot.console.exports import nlu_export

    database_url = load_settings().database_url
    text, count = nlu_export(database_url)
    destination = str(out_path)
    audit.record(database_url, "cli", "export_nlu", None if destination == "-" else destination,
                 f"{count} corrections")
    if destination == "-":
        sys.stdout.write(text)
    else:
        Path(destination).write_text(text, encoding="utf-8")
        print(f"wrote {destination} ({count} corrections)", file=sys.stderr)
    return 0
