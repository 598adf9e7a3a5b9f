//! Serde helpers: byte strings serialise as lowercase hex text, which keeps
//! evidence files readable (a certificate is one string, not 900 numbers).

use serde::Serializer;
use serde::ser::SerializeSeq;

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len().saturating_mul(2));
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub(crate) fn bytes<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_hex(v))
}

pub(crate) fn opt_bytes<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(b) => s.serialize_some(&to_hex(b)),
        None => s.serialize_none(),
    }
}

pub(crate) fn vec_bytes<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for b in v {
        seq.serialize_element(&to_hex(b))?;
    }
    seq.end()
}
