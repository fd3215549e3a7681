"""The evaluator: score Python/FastAPI code against a pack with ruff, mypy and custom checks."""
