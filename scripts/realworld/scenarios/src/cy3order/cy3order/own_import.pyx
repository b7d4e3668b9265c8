# cimports numpy and calls import_array() itself: Cython imports the NumPy types (and checks
# their sizes) before the module body runs the call.
cimport numpy as cnp
cnp.import_array()

def arr(cnp.ndarray a):
    return a.ndim

def dt(cnp.dtype d):
    return d.itemsize
