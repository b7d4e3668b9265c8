//! Round trips (`parse(render(x)) == x`) over every family in every wording, and the real texts
//! the explain and verify tests use.

use super::*;

fn size(module: &str, ty: &str, e: u64, s: u64, upper: Option<u64>, form: SizeForm) -> Message {
    Message::SizeChanged(SizeChanged {
        module: module.into(),
        type_name: ty.into(),
        expected: e,
        got: s,
        got_upper: upper,
        form,
    })
}

fn api(built: u32, running: u32, wording: ApiWording) -> Message {
    Message::ApiVersion(ApiVersion {
        built,
        running,
        wording,
    })
}

fn failed(core: CorePackage, what: CoreModule, cython3_suffix: bool) -> Message {
    Message::FailedToImport(FailedToImport {
        core,
        what,
        cython3_suffix,
    })
}

/// One value per family and wording. The second element: does the bare message (no
/// `Exception:` prefix) say which form it is?
fn every_wording() -> Vec<(Message, bool)> {
    use CoreModule::*;
    use CorePackage::*;
    let mut v = vec![
        // Cython raises for a smaller runtime type: 0.29 and Cython 3 without a range ...
        (
            size("numpy", "ndarray", 88, 80, None, SizeForm::ValueError),
            true,
        ),
        (
            size("numpy", "dtype", 96, 88, None, SizeForm::ValueError),
            true,
        ),
        // ... Cython 3 with check_size error prints the runtime range ...
        (
            size("numpy", "dtype", 96, 88, Some(96), SizeForm::ValueError),
            true,
        ),
        // ... and warns for a larger one.
        (
            size("numpy", "ndarray", 80, 88, None, SizeForm::RuntimeWarning),
            true,
        ),
        // check_size error with a larger runtime type (Cython 0.29): only the prefix tells.
        (
            size("numpy", "ufunc", 192, 216, None, SizeForm::ValueError),
            false,
        ),
        // Another extension's type.
        (
            size(
                "pandas._libs.tslibs.base",
                "ABCTimestamp",
                40,
                32,
                None,
                SizeForm::ValueError,
            ),
            true,
        ),
        (
            Message::CompiledWithNumpy1(CompiledWithNumpy1 {
                running: "2.0.2".into(),
            }),
            true,
        ),
        (
            Message::CompiledWithNumpy1(CompiledWithNumpy1 {
                running: "2.3.0rc1".into(),
            }),
            true,
        ),
        (
            Message::AbiVersion(AbiVersion {
                built: 0x0100_0009,
                running: 0x0200_0000,
                hex: HexStyle::Prefixed,
            }),
            true,
        ),
        // NumPy <= 1.10 headers: `%x` without `0x`.
        (
            Message::AbiVersion(AbiVersion {
                built: 0x0100_0009,
                running: 0x0200_0000,
                hex: HexStyle::Bare,
            }),
            true,
        ),
        (
            api(
                0x10,
                0xf,
                ApiWording::V1 {
                    hex: HexStyle::Prefixed,
                },
            ),
            true,
        ),
        (
            api(
                0xa,
                0x9,
                ApiWording::V1 {
                    hex: HexStyle::Bare,
                },
            ),
            true,
        ),
        (api(0x11, 0x10, ApiWording::V1WithTroubleshooting), true),
        (
            api(
                0x13,
                0x12,
                ApiWording::V2 {
                    built_string: "2.1".into(),
                },
            ),
            true,
        ),
        (
            api(
                0x10,
                0xf,
                ApiWording::V2 {
                    built_string: "1.23".into(),
                },
            ),
            true,
        ),
    ];
    for which in [ApiTable::Array, ApiTable::Ufunc] {
        for torch in [false, true] {
            v.push((
                Message::ArrayApiNotFound(ArrayApiNotFound { which, torch }),
                true,
            ));
        }
    }
    for core in [Core, UnderscoreCore] {
        for what in [Multiarray, Umath, MultiarrayUmath] {
            for suffix in [false, true] {
                v.push((failed(core, what, suffix), true));
            }
        }
    }
    v.push((Message::InitializationFailed(InitializationFailed), true));
    v.push((
        Message::RequiresNewerNumpy(RequiresNewerNumpy {
            package: "pyarrow".into(),
            need: "2.0".into(),
            found: "1.26.4".into(),
        }),
        true,
    ));
    v
}

#[test]
fn every_family_is_covered() {
    let covered: std::collections::BTreeSet<Family> =
        every_wording().iter().map(|(m, _)| m.family()).collect();
    assert_eq!(covered.len(), Family::ALL.len());
}

#[test]
fn round_trip_render() {
    for (m, self_describing) in every_wording() {
        if self_describing {
            assert_eq!(
                Message::parse(&m.render()),
                Some(m.clone()),
                "{}",
                m.render()
            );
        }
    }
}

#[test]
fn round_trip_line() {
    for (m, _) in every_wording() {
        assert_eq!(Message::parse(&m.line()), Some(m.clone()), "{}", m.line());
    }
}

#[test]
fn round_trip_wrapped_and_embedded() {
    // As a traceback or a CI log shows it: wrapped, indented, between other lines.
    for (m, _) in every_wording() {
        let wrapped = m.line().replace(' ', "\n  ");
        let text = format!(
            "Traceback (most recent call last):\n  File \"x.py\", line 1\n{wrapped}\nmore text\n"
        );
        let all = find_all(&text);
        assert_eq!(all.len(), 1, "{text}");
        assert_eq!(all[0].1, m, "{text}");
        assert!(text[all[0].0.clone()].ends_with(m.render().trim_end().rsplit(' ').next().unwrap()));
    }
}

#[test]
fn family_types_parse_their_own_text() {
    let s = SizeChanged {
        module: "numpy".into(),
        type_name: "dtype".into(),
        expected: 96,
        got: 88,
        got_upper: None,
        form: SizeForm::ValueError,
    };
    assert_eq!(SizeChanged::parse(&s.render()), Some(s.clone()));
    assert_eq!(AbiVersion::parse(&s.render()), None);
    let f = FailedToImport {
        core: CorePackage::UnderscoreCore,
        what: CoreModule::Umath,
        cython3_suffix: false,
    };
    let text = format!("{}\nImportError: {}", s.render(), f.render());
    assert_eq!(FailedToImport::find_all(&text).len(), 1);
    assert_eq!(
        find_all(&text)
            .into_iter()
            .map(|(_, m)| m)
            .collect::<Vec<_>>(),
        [Message::from(s), Message::from(f)]
    );
}

#[test]
fn renders_are_the_texts_python_prints() {
    let r = |m: Message| m.line();
    assert_eq!(
        r(size("numpy", "ndarray", 88, 80, None, SizeForm::ValueError)),
        "ValueError: numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C header, got 80 from PyObject"
    );
    assert_eq!(
        r(size("numpy", "dtype", 96, 88, Some(96), SizeForm::ValueError)),
        "ValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88-96 from PyObject"
    );
    assert_eq!(
        r(Message::AbiVersion(AbiVersion {
            built: 0x0100_0009,
            running: 0x0200_0000,
            hex: HexStyle::Bare
        })),
        "RuntimeError: module compiled against ABI version 1000009 but this version of numpy is 2000000"
    );
    assert_eq!(
        r(api(0x11, 0x10, ApiWording::V1WithTroubleshooting)),
        "RuntimeError: module compiled against API version 0x11 but this version of numpy is 0x10 . Check the section C-API incompatibility at the Troubleshooting ImportError section at https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility for indications on how to solve this problem ."
    );
    assert_eq!(
        r(api(0x13, 0x12, ApiWording::V2 { built_string: "2.1".into() })),
        "RuntimeError: module was compiled against NumPy C-API version 0x13 (NumPy 2.1) but the running NumPy has C-API version 0x12. Check the section C-API incompatibility at the Troubleshooting ImportError section at https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility for indications on how to solve this problem."
    );
    assert_eq!(
        r(failed(CorePackage::UnderscoreCore, CoreModule::Multiarray, true)),
        "ImportError: numpy._core.multiarray failed to import (auto-generated because you didn't call 'numpy.import_array()' after cimporting numpy; use '<void>numpy._import_array' to disable if you are certain you don't need it)."
    );
    let np1 = CompiledWithNumpy1 {
        running: "2.0.2".into(),
    }
    .render();
    assert!(np1.starts_with("\nA module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.0.2 as it may crash."));
    assert!(np1.ends_with("We expect that some modules will need time to support NumPy 2.\n\n"));
    assert_eq!(
        normalize(&np1),
        "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.2 as it may crash. To support both 1.x and 2.x versions of NumPy, modules must be compiled with NumPy 2.0. Some module may need to rebuild instead e.g. with 'pybind11>=2.12'. If you are a user of the module, the easiest solution will be to downgrade to 'numpy<2' or try to upgrade the affected module. We expect that some modules will need time to support NumPy 2."
    );
    assert_eq!(
        r(Message::InitializationFailed(InitializationFailed)),
        "ImportError: initialization failed"
    );
}

/// The texts of src/explain/tests.rs and src/verify/classify.rs, read into their values.
#[test]
fn real_texts() {
    use CoreModule::*;
    use CorePackage::*;
    let cases: Vec<(&str, Message)> = vec![
        (
            "ValueError: numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C header, got 80 from PyObject",
            size("numpy", "ndarray", 88, 80, None, SizeForm::ValueError),
        ),
        (
            "  File \"interval.pyx\", line 1, in init pandas._libs.interval\nValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject\n",
            size("numpy", "dtype", 96, 88, None, SizeForm::ValueError),
        ),
        (
            "/opt/conda/lib/python3.8/importlib/_bootstrap.py:219: RuntimeWarning: numpy.ndarray size changed, may indicate binary incompatibility. Expected 80 from C header, got 88 from PyObject",
            size("numpy", "ndarray", 80, 88, None, SizeForm::RuntimeWarning),
        ),
        (
            "ValueError: numpy.ufunc size changed, may indicate binary incompatibility. Expected 216 from C header, got 192 from PyObject",
            size("numpy", "ufunc", 216, 192, None, SizeForm::ValueError),
        ),
        (
            "2025-06-01T10:00:01Z\nA module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.3.4 as it may crash. To support both 1.x and 2.x\nversions of NumPy, modules must be compiled with NumPy 2.0.\nSome module may need to rebuild instead e.g. with 'pybind11>=2.12'.\n\nIf you are a user of the module, the easiest solution will be to\ndowngrade to 'numpy<2' or try to upgrade the affected module.\nWe expect that some modules will need time to support NumPy 2.\n\nTraceback (most recent call last):  File \"<string>\", line 1, in <module>\nAttributeError: _ARRAY_API not found\nImportError: numpy.core.multiarray failed to import\n",
            Message::CompiledWithNumpy1(CompiledWithNumpy1 { running: "2.3.4".into() }),
        ),
        (
            "RuntimeError: module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000",
            Message::AbiVersion(AbiVersion { built: 0x0100_0009, running: 0x0200_0000, hex: HexStyle::Prefixed }),
        ),
        (
            "RuntimeError: module compiled against API version 0x10 but this version of numpy is 0xf . Check the section C-API incompatibility at the Troubleshooting ImportError section at https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility for indications on how to solve this problem .\nImportError: numpy.core.multiarray failed to import",
            api(0x10, 0xf, ApiWording::V1WithTroubleshooting),
        ),
        (
            "module compiled against API version 0xf but this version of numpy is 0xe",
            api(0xf, 0xe, ApiWording::V1 { hex: HexStyle::Prefixed }),
        ),
        (
            "module compiled against API version 0x11 but this version of numpy is 0x10",
            api(0x11, 0x10, ApiWording::V1 { hex: HexStyle::Prefixed }),
        ),
        (
            "RuntimeError: module was compiled against NumPy C-API version 0x10 (NumPy 1.23) but the running NumPy has C-API version 0xf. Check the section C-API incompatibility at the Troubleshooting ImportError section at https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility for indications on how to solve this problem.",
            api(0x10, 0xf, ApiWording::V2 { built_string: "1.23".into() }),
        ),
        // Without NumPy's suffix (verify's tests), and with whitespace runs.
        (
            "module was compiled against NumPy C-API version 0x13 (NumPy 2.1) but the running   NumPy has C-API version 0x12.",
            api(0x13, 0x12, ApiWording::V2 { built_string: "2.1".into() }),
        ),
        (
            "/usr/lib/python3/site-packages/torch/_tensor.py:14: UserWarning: Failed to initialize NumPy: _ARRAY_API not found (Triggered internally at ../torch/csrc/utils/tensor_numpy.cpp:84.)",
            Message::ArrayApiNotFound(ArrayApiNotFound { which: ApiTable::Array, torch: true }),
        ),
        (
            "_ARRAY_API not found",
            Message::ArrayApiNotFound(ArrayApiNotFound { which: ApiTable::Array, torch: false }),
        ),
        (
            "ImportError: pyarrow requires NumPy 2.0 or newer, found 1.26.4",
            Message::RequiresNewerNumpy(RequiresNewerNumpy { package: "pyarrow".into(), need: "2.0".into(), found: "1.26.4".into() }),
        ),
        ("ImportError: numpy.core.multiarray failed to import", failed(Core, Multiarray, false)),
        ("ImportError: numpy._core.multiarray failed to import", failed(UnderscoreCore, Multiarray, false)),
        ("ImportError: numpy.core._multiarray_umath failed to import", failed(Core, MultiarrayUmath, false)),
        ("ImportError: numpy.core.umath failed to import", failed(Core, Umath, false)),
        ("numpy._core.umath failed to import", failed(UnderscoreCore, Umath, false)),
        (
            "numpy._core.multiarray failed to import (auto-generated because you didn't call 'numpy.import_array()' after cimporting numpy; use '<void>numpy._import_array' to disable if you are certain you don't need it).",
            failed(UnderscoreCore, Multiarray, true),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(Message::parse(text), Some(want), "{text}");
    }
    for text in [
        "ModuleNotFoundError: No module named 'foo'",
        "",
        "libhdf5.so.310: cannot open shared object file: No such file or directory",
        "`np.Inf` was removed in the NumPy 2.0 release. Use `np.inf` instead.",
    ] {
        assert_eq!(Message::parse(text), None, "{text}");
    }
}

#[test]
fn which_families_are_numpy_abi() {
    for f in Family::ALL {
        let expected = !matches!(f, Family::InitializationFailed | Family::RequiresNewerNumpy);
        assert_eq!(f.is_numpy_abi(), expected, "{f:?}");
    }
    // Another extension's size check is not NumPy's.
    assert!(size("numpy", "dtype", 96, 88, None, SizeForm::ValueError).is_numpy_abi());
    assert!(!size(
        "pandas._libs.lib",
        "Foo",
        40,
        32,
        None,
        SizeForm::ValueError
    )
    .is_numpy_abi());
    assert_eq!(
        serde_json::to_string(&Family::ArrayApiNotFound).unwrap(),
        "\"array_api_not_found\""
    );
    for f in Family::ALL {
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            format!("\"{}\"", f.as_str())
        );
    }
}
