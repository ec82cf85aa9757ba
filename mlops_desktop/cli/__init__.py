"""Headless commands: the same services as the GUI, for pipelines and scripts."""
