"""``python -m payer_rules``: the ``payer-rules`` runner, for environments without its script."""

from payer_rules.cli import main

if __name__ == "__main__":
    main()
