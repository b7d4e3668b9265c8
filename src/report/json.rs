//! The JSON renderer every command shares: the report model is the schema, so rendering is
//! serializing it, pretty-printed, with a final newline.

use serde::Serialize;
use std::io::{self, Write};

/// Write `report` as pretty-printed JSON and a newline. Keys come out in the model's
/// declaration order (structs) or sorted (`BTreeMap`s), so the output is stable.
pub fn write<T: Serialize + ?Sized>(w: &mut dyn Write, report: &T) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, report).map_err(io::Error::from)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_with_a_final_newline() {
        #[derive(Serialize)]
        struct R {
            schema_version: u32,
            names: Vec<&'static str>,
        }
        let mut out = Vec::new();
        write(
            &mut out,
            &R {
                schema_version: 1,
                names: vec!["b", "a"],
            },
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n  \"schema_version\": 1,\n  \"names\": [\n    \"b\",\n    \"a\"\n  ]\n}\n"
        );
    }
}
