# cimports numpy and never calls import_array(): Cython 3 generates the call, and it runs first.
cimport numpy as cnp

def arr(cnp.ndarray a):
    return a.ndim

def dt(cnp.dtype d):
    return d.itemsize
