"""``python -m tfbiggan.evaluate SUBCOMMAND --flags``: see tfbiggan.evaluate.cli."""
from tfbiggan.evaluate.cli import entry_point

entry_point()
