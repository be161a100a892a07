"""StackRift: evidence-backed assessment of AI estates across the US/China technology split."""

__version__ = "0.1.0"
