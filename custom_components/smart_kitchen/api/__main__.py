"""Entry point of `python -m custom_components.smart_kitchen.api`."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
