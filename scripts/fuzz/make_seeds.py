#!/usr/bin/env python3
"""Write the committed fuzz seeds under fuzz/seeds/<target>/ from bytes written here (no
third-party files). Deterministic: re-running it rewrites the same files. The binary fixtures of
tests/fixtures/bin are added at run time by scripts/fuzz/run.sh, not copied here."""
import io
import os
import struct
import sys
import zipfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SEEDS = os.path.join(ROOT, "fuzz", "seeds")


def put(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# A minimal ELF64 header (x86-64 shared object, no sections): enough for the sniffers.
ELF = (b"\x7fELF\x02\x01\x01" + b"\0" * 9
       + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, 0, 0, 64, 0, 0, 64, 0, 0))


def wheel(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)
    return buf.getvalue()


def main():
    dist = "demo-1.0.dist-info/"
    meta = ("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Python: >=3.9\n"
            "Requires-Dist: numpy<2,>=1.22\n")
    put("wheel", "deflated.whl", wheel([
        (dist + "METADATA", meta),
        (dist + "WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n"),
        ("demo/_core.cpython-311-x86_64-linux-gnu.so", ELF + b"\0" * 256),
        (dist + "RECORD", "demo/_core.cpython-311-x86_64-linux-gnu.so,,320\n"),
    ]))
    put("wheel", "stored.whl", wheel([
        ("demo/_a.so", ELF),
        ("../escape.so", ELF),
    ], zipfile.ZIP_STORED))
    with_dup = wheel([("demo/x.so", ELF), ("demo/x.so", ELF + b"\0")], zipfile.ZIP_STORED)
    put("wheel", "duplicate.whl", with_dup)

    put("metadata", "METADATA", meta
        + "Requires-Dist: scipy (>=1.10) ; python_version >= \"3.9\"\n"
        + "Requires-Dist: pytest ; extra == 'test'\n"
        + "Requires-Dist: pywin32 ; sys_platform == \"win32\" and (platform_machine == 'AMD64' or implementation_name != \"pypy\")\n"
        + "Provides-Extra: test\nSummary: a demo\n  continued\n\nLong description.\n")
    put("metadata", "PKG-INFO", "Metadata-Version: 1.0\nName: old_pkg\nVersion: 0.1.dev0\nbad line\n")

    put("record", "RECORD", "demo/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n"
        "demo/_core.cpython-311-x86_64-linux-gnu.so,sha256=AAAA,320\n"
        "\"demo/with,comma.py\",,\n"
        "../../../bin/demo,sha256=BBBB,12\n"
        "demo-1.0.dist-info/RECORD,,\n"
        "demo/__pycache__/x.cpython-311.pyc,,\r\n"
        "bad\"quote,x,y\n")

    put("requirements", "requires.txt", "numpy>=1.22,<2\n"
        "scipy[sparse] (>=1.10) ; python_version >= \"3.9\" and python_version < '3.13'\n"
        "pkg @ https://example.invalid/pkg.whl ; sys_platform == 'linux'\n"
        "x ; ((extra == \"test\") or platform_system != 'Windows') and platform_release >= '5'\n"
        "\"3.8\" < python_full_version\n")

    put("pth", "demo.pth", "\ufeff# comment\n../src/editable\nimport os; os.environ.get('X')\n\nextra\t\n")
    put("pth", "lossy.pth", b"\xff\xfe lossy\nimport\tsys\n")

    put("pyvenv_cfg", "venv.cfg", "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n")
    put("pyvenv_cfg", "virtualenv.cfg", "home = /opt/python/bin\nimplementation = CPython\n"
        "version_info = 3.12.1.final.0\nvirtualenv = 20.25.0\ninclude-system-site-packages = TRUE\n")

    put("explain", "abi.txt",
        "Traceback (most recent call last):\n"
        "  File \"/env/lib/python3.11/site-packages/pandas/__init__.py\", line 22, in <module>\n"
        "    from pandas._libs import hashtable\n"
        "ValueError: numpy.dtype size changed, may indicate binary incompatibility. "
        "Expected 96 from C header, got 88 from PyObject\n")
    put("explain", "shim.txt",
        "A module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.0.2 as it may crash. "
        "To support both 1.x and 2.x\nversions of NumPy, modules must be compiled with NumPy 2.0.\n"
        "ImportError: numpy.core.multiarray failed to import\n"
        "RuntimeError: module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000\n"
        "RuntimeError: module compiled against API version 0x10 but this version of numpy is 0xe\n")

    put("imports", "__init__.py",
        "\"\"\"Docstring.\"\"\"\nimport os, sys as _sys\nfrom . import _core\nfrom .sub import (a,\n    b)  # c\n"
        "from .. import parent\nfrom numpy import \\\n    ndarray\ntry:\n    import optional\nexcept ImportError:\n"
        "    pass\ndef f():\n    import hidden\nclass C:\n    import hidden2\nif True: import x.y.z\n")

    mark = "\x1eABI_DOCTOR_VERIFY "
    put("driver_output", "ok", b"\x00" + (mark + '{"stage": "module", "module": "demo._core"}\n'
        + mark + '{"outcome": "ok", "warnings": [{"category": "UserWarning", "message": "m", '
        '"filename": "f.py", "lineno": 3}]}\n').encode() + b"\x00stderr text\n")
    put("driver_output", "error", b"\x01" + (mark + '{"stage": "parent", "module": "demo"}\n'
        + mark + '{"outcome": "error", "exception": "ImportError", "message": "numpy.core.multiarray '
        'failed to import", "cause": {"exception": "AttributeError", "message": "_ARRAY_API not found"}, '
        '"failed_in": "demo", "origin": "/env/demo/_core.so", "traceback": ["  File x"]}\n').encode()
        + b"\x00Traceback (most recent call last):\nImportError: numpy.core.multiarray failed to import\n")
    put("driver_output", "signal", b"\x8b" + (mark + '{"stage": "module", "module": "demo"}\n').encode())

    # x86-64 code at 0x1000, anchors at 0x8000 + 8*i (src/fuzzing.rs): i=2 a type name, i=3
    # "numpy", i=0 the ABI format.
    def lea(reg, at, target):
        return bytes([0x48, 0x8D, 0x05 | (reg << 3)]) + struct.pack("<i", target - (at + 7))
    code = bytearray(b"\x90")
    code += b"\x41\xb8\x02\x00\x00\x00"      # mov r8d, 2
    code += b"\xb9\x60\x00\x00\x00"          # mov ecx, 0x60
    code += lea(6, 0x1000 + len(code), 0x8018)  # lea rsi, "numpy"
    code += lea(2, 0x1000 + len(code), 0x8010)  # lea rdx, type name
    code += b"\xe8\x00\x00\x00\x00"          # call
    code += b"\xba\x09\x00\x00\x01"          # mov edx, 0x01000009
    code += lea(6, 0x1000 + len(code), 0x8000)  # lea rsi, ABI format
    code += b"\xe8\x00\x00\x00\x00\xc3"      # call; ret
    put("x86_64", "sysv", b"\x00" + bytes(code))
    win = bytearray()
    win += b"\x41\xb8\x10\x00\x00\x00"       # mov r8d, 0x10
    win += lea(2, 0x1000 + len(win), 0x8008)   # lea rdx, API format
    win += b"\xe8\x00\x00\x00\x00"
    put("x86_64", "win64", b"\x01" + bytes(win))

    # AArch64 code at 0x4000, anchors at 0x5000 + 8*i.
    words = [
        0xB0000001,  # adrp x1, 0x5000
        0x91002021,  # add x1, x1, #0x8 (API format)
        0x52800202,  # mov w2, #0x10
        0x94000000,  # bl
        0xB0000002,  # adrp x2, 0x5000
        0x91004042,  # add x2, x2, #0x10 (type name)
        0xD2800C03,  # mov x3, #0x60
        0x52800044,  # mov w4, #2
        0x94000000,  # bl
        0x52800139,  # mov w25, #9
        0x72A02019,  # movk w25, #0x100, lsl #16
        0x2A1903E2,  # mov w2, w25
        0x14000002,  # b +8
        0xD65F03C0,  # ret
        0x94000000,  # bl
    ]
    put("aarch64", "elf", b"\x00" + b"".join(struct.pack("<I", w) for w in words))
    put("aarch64", "macho", b"\x01" + b"".join(struct.pack("<I", w) for w in words))
    put("inspect_bytes", "elf-header", ELF)
    return 0


if __name__ == "__main__":
    sys.exit(main())
