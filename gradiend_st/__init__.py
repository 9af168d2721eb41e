"""GRADIEND Studio: read GRADIEND run folders and draw their evaluation views."""

__version__ = "0.1.0"
