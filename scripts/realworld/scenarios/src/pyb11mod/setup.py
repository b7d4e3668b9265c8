import pybind11
from setuptools import Extension, setup

setup(
    name="pyb11mod",
    version="1.0",
    ext_modules=[
        Extension(
            "pyb11mod",
            ["pyb11mod.cpp"],
            include_dirs=[pybind11.get_include()],
            language="c++",
            extra_compile_args=["-std=c++14"],
        )
    ],
)
