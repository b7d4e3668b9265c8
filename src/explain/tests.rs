//! Real messages: the import matrices and Cython reproductions of docs/import-behaviour.md and
//! public user reports (e.g. numpy/numpy#26710), wrapped the way users paste them.

use super::*;

#[test]
fn classic_88_80_is_1_20_or_default_2_1_headers_on_1_19() {
    let t = "ValueError: numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C header, got 80 from PyObject";
    let e = &explain(t)[0];
    assert_eq!(e.kind, Family::SizeChanged);
    assert_eq!(e.numpy_type.as_deref(), Some("ndarray"));
    assert_eq!((e.expected_size, e.runtime_size), (Some(88), Some(80)));
    assert_eq!(e.built_against, [">=1.20,<1.22", ">=2.1,<2.3"]);
    assert_eq!(e.running, ["<1.20"]);
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(e.newer, Some("headers"));
    assert_eq!(
        e.remedies[0].pip.as_deref(),
        Some("python -m pip install 'numpy>=1.20,<2'")
    );
}

#[test]
fn dtype_96_88_is_numpy1_build_on_numpy2_inside_a_traceback() {
    let t = r#"Traceback (most recent call last):
  File "/app/main.py", line 3, in <module>
    import pandas as pd
  File "/usr/local/lib/python3.12/site-packages/pandas/__init__.py", line 22, in <module>
    from pandas.compat import is_numpy_dev as _is_numpy_dev  # pyright: ignore # noqa:F401
  File "/usr/local/lib/python3.12/site-packages/pandas/compat/__init__.py", line 25, in <module>
    from pandas.compat.numpy import (
  File "/usr/local/lib/python3.12/site-packages/pandas/_libs/__init__.py", line 18, in <module>
    from pandas._libs.interval import Interval
  File "interval.pyx", line 1, in init pandas._libs.interval
ValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject
"#;
    let e = &explain(t)[0];
    assert_eq!(e.numpy_type.as_deref(), Some("dtype"));
    assert!(
        e.built_against
            .iter()
            .all(|s| s.ends_with("<2") || s.starts_with("<")),
        "{:?}",
        e.built_against
    );
    // NumPy 1.7-1.9 also had an 88-byte dtype: both readings are given.
    assert_eq!(e.running, ["<1.10", ">=2.0"]);
    assert_eq!(e.package.as_deref(), Some("pandas"));
    assert_eq!(
        e.remedies[0].pip.as_deref(),
        Some("python -m pip install 'numpy>=1.26,<2'")
    );
}

#[test]
fn benign_direction_is_a_warning() {
    let t = "/opt/conda/lib/python3.8/importlib/_bootstrap.py:219: RuntimeWarning: numpy.ndarray size changed, may indicate binary incompatibility. Expected 80 from C header, got 88 from PyObject";
    let e = &explain(t)[0];
    assert_eq!(e.severity, Severity::Warning);
    // 80-byte headers come from <= 1.19 or from default builds against 1.25-2.0: which side is
    // newer cannot be told from the sizes alone.
    assert_eq!(e.newer, None);
    assert_eq!(e.running, [">=1.20,<1.22"]);
}

#[test]
fn ufunc_216_192() {
    let t = "ValueError: numpy.ufunc size changed, may indicate binary incompatibility. Expected 216 from C header, got 192 from PyObject";
    let e = &explain(t)[0];
    assert_eq!(e.running, [">=1.8,<1.16"]);
    assert_eq!(e.severity, Severity::Error);
}

#[test]
fn compiled_using_numpy1_banner_in_a_ci_log() {
    let t = r#"2025-06-01T10:00:00Z ##[group]Run pytest
2025-06-01T10:00:01Z
A module that was compiled using NumPy 1.x cannot be run in
NumPy 2.3.4 as it may crash. To support both 1.x and 2.x
versions of NumPy, modules must be compiled with NumPy 2.0.
Some module may need to rebuild instead e.g. with 'pybind11>=2.12'.

If you are a user of the module, the easiest solution will be to
downgrade to 'numpy<2' or try to upgrade the affected module.
We expect that some modules will need time to support NumPy 2.

Traceback (most recent call last):  File "<string>", line 1, in <module>
  File "/home/runner/.venv/lib/python3.11/site-packages/tensorflow/__init__.py", line 37, in <module>
AttributeError: _ARRAY_API not found
ImportError: numpy.core.multiarray failed to import
"#;
    let all = explain(t);
    assert_eq!(all[0].kind, Family::CompiledWithNumpy1);
    assert_eq!(all[0].running, ["==2.3.4"]);
    assert_eq!(all[0].package.as_deref(), Some("tensorflow"));
    assert_eq!(
        all[0].remedies[0].pip.as_deref(),
        Some("python -m pip install 'numpy>=1.26,<2'")
    );
}

#[test]
fn abi_version_message() {
    let t = "RuntimeError: module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000";
    let e = &explain(t)[0];
    assert_eq!(e.kind, Family::AbiVersion);
    assert_eq!(e.built_against, ["<2"]);
    assert_eq!(e.running, [">=2,<3"]);
}

#[test]
fn api_version_1x_names_releases() {
    let t = "RuntimeError: module compiled against API version 0x10 but this version of numpy is 0xf . Check the section C-API incompatibility at the Troubleshooting ImportError section at https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility for indications on how to solve this problem .\nImportError: numpy.core.multiarray failed to import";
    let e = &explain(t)[0];
    assert_eq!(e.kind, Family::ApiVersion);
    assert_eq!(e.built_against, [">=1.23,<1.25"]);
    assert_eq!(e.running, [">=1.22,<1.23"]);
    assert_eq!(
        e.remedies[0].pip.as_deref(),
        Some("python -m pip install 'numpy>=1.23,<2'")
    );
    let t = "module compiled against API version 0xf but this version of numpy is 0xe";
    let e = &explain(t)[0];
    assert_eq!(e.running, [">=1.20,<1.22"]);
}

#[test]
fn api_version_2x_uses_the_named_floor() {
    let t = "RuntimeError: module was compiled against NumPy C-API version 0x10 (NumPy 1.23) but the running NumPy has C-API version 0xf. Check the section C-API incompatibility at the Troubleshooting ImportError section at https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility for indications on how to solve this problem.";
    let e = &explain(t)[0];
    assert_eq!(e.built_against, [">=1.23"]);
    assert_eq!(e.running, [">=1.22,<1.23"]);
}

#[test]
fn torch_warning_and_pyarrow() {
    let t = "/usr/lib/python3/site-packages/torch/_tensor.py:14: UserWarning: Failed to initialize NumPy: _ARRAY_API not found (Triggered internally at ../torch/csrc/utils/tensor_numpy.cpp:84.)";
    let e = &explain(t)[0];
    assert_eq!(e.kind, Family::ArrayApiNotFound);
    assert_eq!(e.severity, Severity::Warning);
    assert_eq!(e.package.as_deref(), Some("torch"));
    let t = "ImportError: pyarrow requires NumPy 2.0 or newer, found 1.26.4";
    let e = &explain(t)[0];
    assert_eq!(e.kind, Family::RequiresNewerNumpy);
    assert_eq!(e.package.as_deref(), Some("pyarrow"));
    assert_eq!(e.built_against, [">=2.0"]);
}

#[test]
fn failed_to_import_alone_asks_for_the_cause() {
    for (t, v2) in [
        ("ImportError: numpy.core.multiarray failed to import", false),
        ("ImportError: numpy._core.multiarray failed to import", true),
        (
            "ImportError: numpy.core._multiarray_umath failed to import",
            false,
        ),
        ("ImportError: numpy.core.umath failed to import", false),
    ] {
        let e = &explain(t)[0];
        assert_eq!(e.kind, Family::FailedToImport, "{t}");
        assert_eq!(e.built_against, [if v2 { ">=2" } else { "<2" }]);
    }
}

#[test]
fn unrelated_text_gives_nothing() {
    assert!(explain("ModuleNotFoundError: No module named 'foo'").is_empty());
    assert!(explain("").is_empty());
}

#[test]
fn from_import_names_the_package() {
    let t = "    from pyxdameraulevenshtein import damerau_levenshtein_distance\n  File \"__init__.pxd\", line 242, in init pyxdameraulevenshtein\nValueError: numpy.ndarray size changed, may indicate binary incompatibility. Expected 96 from C header, got 80 from PyObject";
    let e = &explain(t)[0];
    assert_eq!(e.package.as_deref(), Some("pyxdameraulevenshtein"));
    assert_eq!(e.running, ["<1.20"]);
}

#[test]
fn shim_text_on_stderr_and_in_the_import_error_is_one_explanation() {
    // NumPy's shim writes its text to stderr, then raises ImportError with the same text.
    let banner = crate::messages::CompiledWithNumpy1 {
        running: "2.2.6".into(),
    }
    .render();
    let t = format!(
        "{banner}Traceback (most recent call last):  File \"<string>\", line 1, in <module>\nTraceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nImportError: {banner}\nThe above exception was the direct cause of the following exception:\n\nImportError: numpy.core.multiarray failed to import\n"
    );
    let all = explain(&t);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].kind, Family::CompiledWithNumpy1);
    assert_eq!(all[0].running, ["==2.2.6"]);
}

/// The real stderr of `import sklearn` in scripts/realworld scenario 04 (scikit-learn 1.3.2, scipy
/// 1.11.4, NumPy 2.2.6), shortened to one of its two tracebacks: the last frame is a Python
/// module (`scipy/sparse/_csr.py`); the binary that failed is the one its line imports.
#[test]
fn the_culprit_is_the_binary_not_the_python_module_on_the_way() {
    let t = r#"
A module that was compiled using NumPy 1.x cannot be run in
NumPy 2.2.6 as it may crash. To support both 1.x and 2.x
versions of NumPy, modules must be compiled with NumPy 2.0.
Some module may need to rebuild instead e.g. with 'pybind11>=2.12'.

If you are a user of the module, the easiest solution will be to
downgrade to 'numpy<2' or try to upgrade the affected module.
We expect that some modules will need time to support NumPy 2.

Traceback (most recent call last):  File "<string>", line 1, in <module>
  File "/venv/lib/python3.11/site-packages/sklearn/__init__.py", line 83, in <module>
    from .base import clone
  File "/venv/lib/python3.11/site-packages/sklearn/utils/__init__.py", line 15, in <module>
    from scipy.sparse import issparse
  File "/venv/lib/python3.11/site-packages/scipy/sparse/__init__.py", line 274, in <module>
    from ._csr import *
  File "/venv/lib/python3.11/site-packages/scipy/sparse/_csr.py", line 11, in <module>
    from ._sparsetools import (csr_tocsc, csr_tobsr, csr_count_blocks,
AttributeError: _ARRAY_API not found
ImportError: numpy.core.multiarray failed to import
"#;
    let e = &explain(t)[0];
    assert_eq!(e.package.as_deref(), Some("scipy"));
    assert_eq!(e.module.as_deref(), Some("scipy.sparse._sparsetools"));
    // `from PKG import _ext` in PKG's own module: the submodule (scipy/linalg/blas.py, line 213).
    let blas = t.replace(
        "scipy/sparse/_csr.py\", line 11, in <module>\n    from ._sparsetools import (csr_tocsc, csr_tobsr, csr_count_blocks,",
        "scipy/linalg/blas.py\", line 213, in <module>\n    from scipy.linalg import _fblas",
    );
    assert_ne!(blas, t);
    assert_eq!(
        explain(&blas)[0].module.as_deref(),
        Some("scipy.linalg._fblas")
    );
    // A last frame whose line imports nothing keeps naming that module.
    let plain = t.replace(
        "from ._sparsetools import (csr_tocsc, csr_tobsr, csr_count_blocks,",
        "x = f()",
    );
    assert_eq!(
        explain(&plain)[0].module.as_deref(),
        Some("scipy.sparse._csr")
    );
}

/// A 2.x-header module's final line (`numpy._core...`) beside another module's `_ARRAY_API`
/// warning (torch): the text is not explained as a build against NumPy 1.x headers.
#[test]
fn numpy2_headers_are_never_called_1x() {
    let t = "UserWarning: Failed to initialize NumPy: _ARRAY_API not found (Triggered internally at ../torch/csrc/utils/tensor_numpy.cpp:84.)\nImportError: numpy._core.multiarray failed to import\n";
    let all = explain(t);
    assert_eq!(all[0].kind, Family::FailedToImport);
    for e in &all {
        assert!(!e.summary.contains("1.x headers"), "{}", e.summary);
        assert!(!e.built_against.contains(&"<2".to_string()), "{e:?}");
    }
}

/// With an environment, the remedies name its interpreter, the package's installed version for
/// the rebuild, the running NumPy for the build, and a NumPy 1.x floor the Python takes.
#[test]
fn remedies_target_the_environment() {
    let t = "ImportError: numpy.core.multiarray failed to import\n\
             A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.2 as it may crash.";
    let mut all = explain(t);
    assert!(!all.is_empty());
    all[0].package = Some("pyxdameraulevenshtein".into());
    let ctx = EnvContext {
        target: Target {
            python: Some("/e/v/bin/python".into()),
            conda_prefix: None,
            pip_version: Some("24.0".into()),
        },
        versions: [("numpy", "2.0.2"), ("pyxdameraulevenshtein", "1.5.3")]
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .into(),
        python: Some("3.8.18".into()),
    };
    retarget(&mut all, &ctx);
    let r = &all[0].remedies;
    assert_eq!(
        r[0].pip.as_deref(),
        Some("/e/v/bin/python -m pip install 'numpy>=1.24,<2'")
    );
    assert_eq!(r[0].conda, None, "not a conda environment");
    let rebuild = r.iter().find(|r| r.title.starts_with("Rebuild")).unwrap();
    assert_eq!(
        rebuild.pip.as_deref(),
        Some(
            "printf '%s\\n' numpy==2.0.2 > abi-doctor-build-constraints.txt && \
             PIP_CONSTRAINT=abi-doctor-build-constraints.txt /e/v/bin/python -m pip install \
             --force-reinstall --no-deps --no-cache-dir --no-binary pyxdameraulevenshtein \
             pyxdameraulevenshtein==1.5.3"
        )
    );
}
