"""Allow ``python -m rulepack``."""

from rulepack.cli import main

main()
