"""`python -m policylint`."""

from policylint.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
