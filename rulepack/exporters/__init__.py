"""Exporters: render a pack into each assistant's native rule files and install them safely."""
