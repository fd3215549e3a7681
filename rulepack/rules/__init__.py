"""The rule pack as data: the model, the loader and the built-in packs."""
