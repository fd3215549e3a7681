"""rulepack: one YAML rule pack, installed into AI assistants and checked with real analysers."""

__version__ = "0.1.0"
__all__ = ["__version__"]
