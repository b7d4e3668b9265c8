//! abi-doctor: find, explain and fix NumPy binary incompatibility in Python environments, by
//! reading the compiled extension modules instead of importing them.
//!
//! The pipeline (`README.md`, Layout): [`discover`] finds the environment, [`inventory`] reads
//! the installed distributions, [`imports`] names their modules as Python imports them, [`binary`]
//! inspects each compiled file, [`runtime`] resolves the NumPy Python will import, [`knowledge`]
//! holds the NumPy facts per release, [`rules`] turns all of that into findings, [`scan`] runs the
//! whole pipeline as one call, [`report`] renders the results.
//! [`messages`] is the one place that knows the texts of NumPy's import failures: predictions
//! render them, [`explain`] and [`verify`] read them.
//!
//! ```no_run
//! let facts = abi_doctor::binary::inspect_path(std::path::Path::new("interval.cpython-311-x86_64-linux-gnu.so")).unwrap();
//! if let Some(spec) = abi_doctor::rules::predict::compatible_specifier(&facts.numpy) {
//!     println!("imports under NumPy {spec}");
//! }
//! ```

pub mod binary;
pub mod digest;
pub mod discover;
pub mod explain;
pub mod fix;
pub mod fsread;
#[doc(hidden)]
pub mod fuzzing;
pub mod imports;
pub mod index;
pub mod inspect;
pub mod install;
pub mod inventory;
pub mod knowledge;
pub mod lint;
pub mod messages;
pub mod paths;
pub mod preinstall;
pub mod report;
pub mod rules;
pub mod runtime;
pub mod scan;
pub mod schema;
pub mod verify;
pub mod wheel;

/// The integration tests' support module (interpreters, gcc, network; the strict policy), shared
/// with the unit tests.
#[cfg(test)]
#[path = "../tests/support/mod.rs"]
pub(crate) mod test_support;
