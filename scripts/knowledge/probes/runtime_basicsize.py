# Print runtime tp_basicsize of numpy types (py2.7 and py3 compatible).
# Measures docs/struct-sizes.md#runtime-sizes; run by scripts/knowledge/generate.py.
from __future__ import print_function
import sys, numpy as np
names = ['ndarray', 'dtype', 'ufunc', 'flatiter', 'broadcast', 'generic', 'number',
         'integer', 'signedinteger', 'unsignedinteger', 'inexact', 'floating',
         'complexfloating', 'flexible', 'character', 'bool_', 'void', 'datetime64',
         'timedelta64', 'float64', 'longdouble', 'clongdouble', 'object_', 'float16',
         'int64', 'bytes_', 'str_']
out = {'numpy': np.__version__, 'python': sys.version.split()[0]}
for n in names:
    t = getattr(np, n, None)
    out[n] = t.__basicsize__ if t is not None else None
# dtype instances are instances of subclasses since 1.20 (numpy.dtype[float64]) - same basicsize?
out['type(np.dtype(float))'] = type(np.dtype(float)).__basicsize__
out['type(np.dtype(float)).__name__'] = type(np.dtype(float)).__name__
try:
    core = np._core
except AttributeError:
    core = np.core
try:
    out['flagsobj'] = core.multiarray.flagsobj.__basicsize__
except Exception as e:
    out['flagsobj'] = None
try:
    out['C_API_VERSION(_get_ndarray_c_version)'] = hex(core._multiarray_umath._get_ndarray_c_version())
except Exception:
    try:
        out['C_API_VERSION(_get_ndarray_c_version)'] = hex(core.multiarray._get_ndarray_c_version())
    except Exception:
        out['C_API_VERSION(_get_ndarray_c_version)'] = None
import json
print(json.dumps(out, sort_keys=True))
