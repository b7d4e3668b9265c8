import numpy
from setuptools import Extension, setup

setup(
    name="npcext",
    version="1.0",
    ext_modules=[Extension("npcext", ["npcext.c"], include_dirs=[numpy.get_include()])],
)
