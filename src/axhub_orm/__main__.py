"""The ``axhub-orm`` command: ``demo`` (the quickstart flow) and ``serve`` (the local emulator)."""

from __future__ import annotations

import sys

USAGE = """usage: axhub-orm <command> [options]

commands:
  demo     walk the AX Hub quickstart and destructive flow through the ORM
           (against an embedded emulator, or a real AX Hub with --base-url/--token)
  serve    run the local AX Hub emulator (axhub-orm serve --help)
"""


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``axhub-orm <command>``."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "serve":
        from .local._cli import serve

        return serve(rest)
    if command == "demo":
        from .demo import demo

        return demo(rest)
    print(f"axhub-orm: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
