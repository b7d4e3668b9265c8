//! abi-doctor: find, explain and fix NumPy binary incompatibility in Python environments, by
//! reading the compiled extension modules instead of importing them.
//!
//! The pipeline (see `ARCHITECTURE.md`): [`discover`] finds the environment, [`dist`] reads the
//! installed distributions, [`binary`] inspects each compiled file, [`knowledge`] holds the NumPy
//! facts per release, [`rules`] turns all of that into findings, [`report`] renders them.
//!
//! ```no_run
//! let facts = abi_doctor::binary::inspect_path(std::path::Path::new("interval.cpython-311-x86_64-linux-gnu.so")).unwrap();
//! if let Some(spec) = abi_doctor::rules::predict::compatible_specifier(&facts.numpy) {
//!     println!("imports under NumPy {spec}");
//! }
//! ```

pub mod binary;
pub mod discover;
pub mod explain;
pub mod fix;
pub mod imports;
pub mod inspect;
pub mod inventory;
pub mod knowledge;
pub mod paths;
pub mod report;
pub mod rules;
pub mod runtime;
pub mod scan;
pub mod verify;
pub mod wheel;
