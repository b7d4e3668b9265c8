"""Docstring."""
import os, sys as _sys
from . import _core
from .sub import (a,
    b)  # c
from .. import parent
from numpy import \
    ndarray
try:
    import optional
except ImportError:
    pass
def f():
    import hidden
class C:
    import hidden2
if True: import x.y.z
