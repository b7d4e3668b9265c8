//! [`NameList`]: the long lists of short names a binary yields (its imported C functions, the
//! dotted module names in its strings), held in one buffer.
//!
//! A large library has thousands of each (jaxlib's `xla_extension.so`: 2,048 dotted names), and
//! the facts cache decodes, clones and frees the facts of every binary on every warm run: as
//! `Vec<String>` that was one allocation per name, about 60,000 per run of a large environment.
//! Serialized, a list is still a plain sequence of strings (the `inspect` JSON and the cache
//! file are unchanged in shape), and decoding appends each string to the buffer without
//! allocating it.

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Names in order, each followed by a NUL (which no symbol or module name contains).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NameList {
    buf: String,
    len: usize,
}

impl NameList {
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.buf.split_terminator('\0')
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    /// Append `name`; a name holding a NUL is not one a binary can have, and is dropped.
    pub fn push(&mut self, name: &str) {
        if !name.contains('\0') {
            self.buf.push_str(name);
            self.buf.push('\0');
            self.len += 1;
        }
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.len = 0;
    }
}

impl<S: AsRef<str>> FromIterator<S> for NameList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut list = NameList::default();
        for n in iter {
            list.push(n.as_ref());
        }
        list
    }
}

impl From<Vec<String>> for NameList {
    fn from(v: Vec<String>) -> Self {
        v.iter().collect()
    }
}

impl fmt::Debug for NameList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for NameList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for NameList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ListVisitor)
    }
}

struct ListVisitor;

impl<'de> Visitor<'de> for ListVisitor {
    type Value = NameList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of names")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NameList, A::Error> {
        let mut list = NameList::default();
        while seq.next_element_seed(Append(&mut list))?.is_some() {}
        Ok(list)
    }
}

/// Decodes one string straight into the list's buffer.
struct Append<'a>(&'a mut NameList);

impl<'de> DeserializeSeed<'de> for Append<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Append<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a name")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        self.0.push(v);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_round_trips_as_a_sequence_of_strings() {
        let list: NameList = ["numpy.core", "pandas._libs.sas", ""].into_iter().collect();
        assert_eq!(list.len(), 3);
        assert!(list.contains("pandas._libs.sas") && !list.contains("pandas"));
        let json = serde_json::to_string(&list).unwrap();
        assert_eq!(json, r#"["numpy.core","pandas._libs.sas",""]"#);
        assert_eq!(serde_json::from_str::<NameList>(&json).unwrap(), list);
        // Escapes (an owned string from the decoder) and MessagePack decode the same way.
        let escaped: NameList = serde_json::from_str(r#"["a\u002eb","c"]"#).unwrap();
        assert_eq!(escaped.iter().collect::<Vec<_>>(), ["a.b", "c"]);
        let packed = rmp_serde::to_vec(&list).unwrap();
        assert_eq!(rmp_serde::from_slice::<NameList>(&packed).unwrap(), list);
        assert!(serde_json::from_str::<NameList>("[1]").is_err());
        let mut with_nul = NameList::default();
        with_nul.push("a\0b");
        assert!(with_nul.is_empty());
        assert_eq!(
            format!("{list:?}"),
            r#"["numpy.core", "pandas._libs.sas", ""]"#
        );
    }
}
