"""MLOps Desktop: governance for the ML metadata stores teams already run."""

__version__ = "0.1.0"
