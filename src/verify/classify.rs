//! Putting a real import outcome beside the static prediction.

use super::{Outcome, PredictionClass};
use crate::messages;
use crate::rules::Predicted;

/// The family verify reports (`numpy_family`); the vocabulary is [`crate::messages`].
pub use crate::messages::{normalize, Family};

/// The most specific NumPy ABI family a message in `text` shows. pybind11's `initialization
/// failed` and pyarrow's `requires NumPy 2.0` are recognized by [`crate::messages`] but are not
/// NumPy ABI failures ([`Family::is_numpy_abi`]), nor is another extension's size check.
pub fn family(text: &str) -> Option<Family> {
    messages::find_all(text)
        .into_iter()
        .filter(|(_, m)| m.is_numpy_abi())
        .map(|(_, m)| m.family())
        .min()
}

/// The texts a failure is made of: final message, chained cause, stderr.
#[derive(Debug, Clone, Copy, Default)]
pub struct Failure<'a> {
    pub exception: Option<&'a str>,
    pub message: Option<&'a str>,
    pub cause: Option<&'a str>,
    pub stderr: &'a str,
}

impl Failure<'_> {
    /// The NumPy ABI family this failure belongs to (the most specific one), if any. A missing NumPy (`No module named
    /// 'numpy'`, after which `import_array()` also says "failed to import") is not one.
    pub fn numpy_family(&self) -> Option<Family> {
        let texts = [self.message, self.cause, Some(self.stderr)];
        if texts
            .iter()
            .flatten()
            .any(|t| t.contains("No module named 'numpy"))
        {
            return None;
        }
        // The most specific family any of the texts shows: the final ImportError only says
        // "failed to import", the printed first error says why.
        texts.iter().flatten().filter_map(|t| family(t)).min()
    }
}

/// Does the real failure say what was predicted? Messages are compared with whitespace
/// normalized. A predicted `printed` text (NumPy 2's notice) must appear in stderr. Without a
/// `then`, the predicted message must equal the final exception's message. With one, the final
/// exception must be `then` (Cython 3 may append "(auto-generated because you didn't call
/// 'numpy.import_array()' ...)"), and the predicted first exception must be the chained cause's
/// message or appear, as `Exception: message`, in what was printed to stderr (NumPy's
/// `import_array()` prints the first error with `PyErr_Print` before raising its ImportError).
pub fn message_match(p: &Predicted, real: &Failure<'_>) -> bool {
    let first = normalize(&p.message);
    let fin = real.message.map(normalize).unwrap_or_default();
    let stderr = normalize(real.stderr);
    if let Some(printed) = &p.printed {
        if !stderr.contains(&normalize(printed)) {
            return false;
        }
    }
    let Some(then) = &p.then else {
        return fin == first;
    };
    let expected_final = normalize(&then.message);
    let final_ok = fin == expected_final
        || fin
            .strip_prefix(&expected_final)
            .is_some_and(|rest| rest.trim_start().starts_with("(auto-generated"));
    let first_ok = real.cause.map(normalize).as_deref() == Some(first.as_str())
        || (!first.is_empty() && stderr.contains(&normalize(&format!("{}: {first}", p.exception))));
    final_ok && first_ok
}

/// Compare one outcome with its prediction. `own` is the module's own import (parents stubbed
/// when the plain import failed in a parent package).
pub fn classify(
    predicted: Option<&Predicted>,
    outcome: Outcome,
    real: &Failure<'_>,
) -> (PredictionClass, Option<bool>) {
    let failed = matches!(outcome, Outcome::Error | Outcome::Crash | Outcome::Timeout);
    let numpy_caused = outcome == Outcome::Error && real.numpy_family().is_some();
    match (predicted, failed) {
        (None, false) => (PredictionClass::Agree, None),
        (Some(_), false) => (PredictionClass::FalseAlarm, None),
        (None, true) if numpy_caused => (PredictionClass::Missed, None),
        (None, true) => (PredictionClass::Unrelated, None),
        (Some(p), true) if numpy_caused => (PredictionClass::Agree, Some(message_match(p, real))),
        // A crash or a timeout has no message to compare.
        (Some(p), true) if outcome == Outcome::Error => {
            (PredictionClass::Unrelated, Some(message_match(p, real)))
        }
        (Some(_), true) => (PredictionClass::Unrelated, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::PredictedThen;

    const SHIM: &str = "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.2 as it may crash. To support both 1.x and 2.x versions of NumPy, modules must be compiled with NumPy 2.0. Some module may need to rebuild instead e.g. with 'pybind11>=2.12'. If you are a user of the module, the easiest solution will be to downgrade to 'numpy<2' or try to upgrade the affected module. We expect that some modules will need time to support NumPy 2.";

    fn shim_prediction() -> Predicted {
        Predicted {
            printed: Some(SHIM.into()),
            exception: "AttributeError".into(),
            message: "_ARRAY_API not found".into(),
            then: Some(PredictedThen {
                exception: "ImportError".into(),
                message: "numpy.core.multiarray failed to import".into(),
            }),
        }
    }

    #[test]
    fn families_are_recognized() {
        assert_eq!(
            family("ValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject"),
            Some(Family::SizeChanged)
        );
        assert_eq!(family(SHIM), Some(Family::CompiledWithNumpy1));
        assert_eq!(
            family("module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000"),
            Some(Family::AbiVersion)
        );
        assert_eq!(
            family("module was compiled against NumPy C-API version 0x12 (NumPy 2.0) but the running NumPy has C-API version 0x11."),
            Some(Family::ApiVersion)
        );
        assert_eq!(
            family("module compiled against API version 0x11 but this version of numpy is 0x10"),
            Some(Family::ApiVersion)
        );
        assert_eq!(
            family("_ARRAY_API not found"),
            Some(Family::ArrayApiNotFound)
        );
        assert_eq!(
            family("numpy._core.umath failed to import"),
            Some(Family::FailedToImport)
        );
        assert_eq!(
            family("libhdf5.so.310: cannot open shared object file: No such file or directory"),
            None
        );
        assert_eq!(
            family("`np.Inf` was removed in the NumPy 2.0 release. Use `np.inf` instead."),
            None
        );
    }

    #[test]
    fn recognized_but_not_numpy_abi() {
        assert_eq!(
            family("AttributeError: _UFUNC_API not found"),
            Some(Family::ArrayApiNotFound)
        );
        // pyarrow's own guard: explain reads it, verify does not count it as NumPy's failure.
        let pyarrow = "ImportError: pyarrow requires NumPy 2.0 or newer, found 1.26.4";
        assert!(messages::Message::parse(pyarrow).is_some());
        assert_eq!(family(pyarrow), None);
        let f = Failure {
            exception: Some("ImportError"),
            message: Some("pyarrow requires NumPy 2.0 or newer, found 1.26.4"),
            cause: None,
            stderr: "",
        };
        assert_eq!(
            classify(None, Outcome::Error, &f).0,
            PredictionClass::Unrelated
        );
        // pybind11's wrapper alone, another extension's size check: not NumPy's.
        assert_eq!(family("ImportError: initialization failed"), None);
        assert_eq!(
            family("ValueError: pandas._libs.tslibs.base.ABCTimestamp size changed, may indicate binary incompatibility. Expected 40 from C header, got 32 from PyObject"),
            None
        );
        // The wrapper with its chained NumPy cause is the cause's family.
        let f = Failure {
            exception: Some("ImportError"),
            message: Some("initialization failed"),
            cause: Some("numpy._core.multiarray failed to import"),
            stderr: "RuntimeError: module was compiled against NumPy C-API version 0x13 (NumPy 2.1) but the running NumPy has C-API version 0x12.",
        };
        assert_eq!(f.numpy_family(), Some(Family::ApiVersion));
    }

    #[test]
    fn missing_numpy_is_not_an_abi_failure() {
        let f = Failure {
            exception: Some("ImportError"),
            message: Some("numpy.core.multiarray failed to import"),
            cause: None,
            stderr: "ModuleNotFoundError: No module named 'numpy'\n",
        };
        assert_eq!(f.numpy_family(), None);
    }

    #[test]
    fn shim_failure_matches_through_stderr() {
        let stderr = "\nA module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.0.2 as it may crash. To support both 1.x and 2.x\nversions of NumPy, modules must be compiled with NumPy 2.0.\nSome module may need to rebuild instead e.g. with 'pybind11>=2.12'.\n\nIf you are a user of the module, the easiest solution will be to\ndowngrade to 'numpy<2' or try to upgrade the affected module.\nWe expect that some modules will need time to support NumPy 2.\n\nTraceback (most recent call last):  File \"<string>\", line 1\nAttributeError: _ARRAY_API not found\n";
        let real = Failure {
            exception: Some("ImportError"),
            message: Some("numpy.core.multiarray failed to import"),
            cause: None,
            stderr,
        };
        let p = shim_prediction();
        assert_eq!(
            classify(Some(&p), Outcome::Error, &real),
            (PredictionClass::Agree, Some(true))
        );
        let wrong_final = Failure {
            message: Some("numpy._core.multiarray failed to import"),
            ..real
        };
        assert!(!message_match(&p, &wrong_final));
        // Without the notice on stderr, or with another first exception, it is not what happened.
        let no_notice = Failure {
            stderr: "AttributeError: _ARRAY_API not found\n",
            ..real
        };
        assert!(!message_match(&p, &no_notice));
        let p126 = Predicted {
            exception: "ImportError".into(),
            message: SHIM.into(),
            ..shim_prediction()
        };
        assert!(!message_match(&p126, &real));
    }

    /// The real stderr of scripts/realworld scenario 07 (a C extension built against NumPy 1.26
    /// headers, imported under NumPy 2.2.6): 1.26 headers keep the shim's ImportError.
    #[test]
    fn shim_with_126_headers_keeps_the_import_error() {
        let stderr = "\nA module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.2.6 as it may crash. To support both 1.x and 2.x\nversions of NumPy, modules must be compiled with NumPy 2.0.\nSome module may need to rebuild instead e.g. with 'pybind11>=2.12'.\n\nIf you are a user of the module, the easiest solution will be to\ndowngrade to 'numpy<2' or try to upgrade the affected module.\nWe expect that some modules will need time to support NumPy 2.\n\nTraceback (most recent call last):  File \"<string>\", line 1, in <module>\nTraceback (most recent call last):\n  File \"/venv/lib/python3.12/site-packages/numpy/core/_multiarray_umath.py\", line 44, in __getattr__\n    raise ImportError(msg)\nImportError: \nA module that was compiled using NumPy 1.x cannot be run in\nNumPy 2.2.6 as it may crash. To support both 1.x and 2.x\nversions of NumPy, modules must be compiled with NumPy 2.0.\nSome module may need to rebuild instead e.g. with 'pybind11>=2.12'.\n\nIf you are a user of the module, the easiest solution will be to\ndowngrade to 'numpy<2' or try to upgrade the affected module.\nWe expect that some modules will need time to support NumPy 2.\n\n\nTraceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nImportError: numpy.core.multiarray failed to import\n";
        let shim = SHIM.replace("2.0.2", "2.2.6");
        let real = Failure {
            exception: Some("ImportError"),
            message: Some("numpy.core.multiarray failed to import"),
            cause: None,
            stderr,
        };
        let p = Predicted {
            printed: Some(shim.clone()),
            exception: "ImportError".into(),
            message: shim,
            ..shim_prediction()
        };
        assert!(message_match(&p, &real));
        // The AttributeError of older headers is not what these print.
        let older = Predicted {
            printed: p.printed.clone(),
            ..shim_prediction()
        };
        assert!(!message_match(&older, &real));
    }

    #[test]
    fn cython3_suffix_and_cause_match() {
        let p = Predicted {
            printed: None,
            exception: "RuntimeError".into(),
            message: "module was compiled against NumPy C-API version 0x13 (NumPy 2.1) but the running NumPy has C-API version 0x12.".into(),
            then: Some(PredictedThen {
                exception: "ImportError".into(),
                message: "numpy._core.multiarray failed to import".into(),
            }),
        };
        let real = Failure {
            exception: Some("ImportError"),
            message: Some("numpy._core.multiarray failed to import (auto-generated because you didn't call 'numpy.import_array()' after cimporting numpy; use '<void>numpy._import_array' to disable if you are certain you don't need it)."),
            cause: Some("module was compiled against NumPy C-API version 0x13 (NumPy 2.1) but the running   NumPy has C-API version 0x12."),
            stderr: "",
        };
        assert!(message_match(&p, &real));
    }

    #[test]
    fn classes() {
        let p = shim_prediction();
        let none = Failure::default();
        assert_eq!(classify(None, Outcome::Ok, &none).0, PredictionClass::Agree);
        assert_eq!(
            classify(None, Outcome::Warning, &none).0,
            PredictionClass::Agree
        );
        assert_eq!(
            classify(Some(&p), Outcome::Ok, &none).0,
            PredictionClass::FalseAlarm
        );
        assert_eq!(
            classify(Some(&p), Outcome::Crash, &none),
            (PredictionClass::Unrelated, None)
        );
        assert_eq!(
            classify(None, Outcome::Timeout, &none).0,
            PredictionClass::Unrelated
        );
        let size = Failure {
            exception: Some("ValueError"),
            message: Some("numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject"),
            cause: None,
            stderr: "",
        };
        assert_eq!(
            classify(None, Outcome::Error, &size).0,
            PredictionClass::Missed
        );
        let lib = Failure {
            exception: Some("ImportError"),
            message: Some("libfoo.so.1: cannot open shared object file: No such file or directory"),
            cause: None,
            stderr: "",
        };
        assert_eq!(
            classify(None, Outcome::Error, &lib).0,
            PredictionClass::Unrelated
        );
        assert_eq!(
            classify(Some(&p), Outcome::Error, &lib),
            (PredictionClass::Unrelated, Some(false))
        );
    }
}
