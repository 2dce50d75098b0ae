"""airpicture: simulate an air-defence battery's surveillance and engagement chain."""

__version__ = "0.1.0"
