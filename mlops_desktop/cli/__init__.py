"""Headless commands (``mlops-desktop inventory|lineage|verify|report|snapshot ...``): each
module parses its arguments, calls the services and prints; the same services as the GUI."""
