"""A stand-in for a package pinned to an old NumPy (TensorFlow 2.4-style `numpy~=1.19.2`)."""
__version__ = "2.4.0"
