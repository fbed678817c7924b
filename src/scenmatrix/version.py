"""The version of scenmatrix, at the bottom of the layers so that any module can name it."""

__version__ = "0.1.0"
