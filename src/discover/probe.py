# The interpreter probe of abi-doctor's environment discovery (src/discover/interpreter.rs).
# It is run as `python -I -S -c <this file>` and prints exactly one line: a JSON object with the
# keys version, executable, prefix, base_prefix, purelib, platlib, stdlib, base_purelib,
# base_platlib and user_site. The Rust parser takes the last line that starts with "{".
#
# It runs inside the environment being scanned, so it must NEVER:
# - import site, or anything outside the standard library: `-S` keeps site.py (and with it every
#   `.pth` file and sitecustomize) from running, and nothing here may undo that. The user site
#   path is computed by sysconfig's user scheme, not by site.getusersitepackages().
# - write bytecode or any other file: sys.dont_write_bytecode is set before the other imports, so
#   that a stdlib without __pycache__ is left as it was.
# - depend on PYTHON* environment variables or the working directory: `-I` ignores them.
# - print anything but the one JSON line (no warnings to stdout, no debugging output).
# - use syntax newer than the oldest Python 3 that has `-I` (3.4): no f-strings, no walrus.
import sys
sys.dont_write_bytecode = True
import os, sysconfig, json
def paths(v):
    try:
        p = sysconfig.get_paths(vars=v) if v else sysconfig.get_paths()
        return p.get('purelib'), p.get('platlib'), p.get('stdlib')
    except Exception:
        return None, None, None
bp = getattr(sys, 'base_prefix', sys.prefix)
bep = getattr(sys, 'base_exec_prefix', sys.exec_prefix)
pl, ql, sl = paths(None)
bl, bql, _ = paths({'base': bp, 'platbase': bep, 'installed_base': bp, 'installed_platbase': bep})
try:
    scheme = sysconfig._get_preferred_scheme('user')
except Exception:
    scheme = os.name + '_user'
try:
    us = sysconfig.get_path('purelib', scheme)
except Exception:
    us = None
print(json.dumps({'version': '%d.%d.%d' % tuple(sys.version_info[:3]),
  'executable': sys.executable, 'prefix': sys.prefix, 'base_prefix': bp,
  'purelib': pl, 'platlib': ql, 'stdlib': sl, 'base_purelib': bl, 'base_platlib': bql,
  'user_site': us}))
