# Two Cython 3 modules built against the NumPy installed at build time: one calls
# numpy.import_array() itself, one leaves it to the call Cython 3 generates
# (Cython/Utility/NumpyImportArray.c), which runs before the type-size checks.
import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

exts = [
    Extension(name, [path], include_dirs=[numpy.get_include()])
    for name, path in [
        ("cy3order.own_import", "cy3order/own_import.pyx"),
        ("cy3order.auto_import", "cy3order/auto_import.pyx"),
    ]
]
setup(
    name="cy3order",
    version="1.0",
    packages=["cy3order"],
    ext_modules=cythonize(exts, compiler_directives={"language_level": 3}),
)
