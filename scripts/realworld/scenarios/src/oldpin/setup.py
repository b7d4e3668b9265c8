from setuptools import setup

setup(name="oldpin", version="2.4.0", packages=["oldpin"], install_requires=["numpy~=1.19.2"])
