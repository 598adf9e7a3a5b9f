//! Bytes written as hex in a test: recorded PDUs pasted from a capture or a
//! specification's example.

/// The bytes of the hex digits in `text`; everything else (spaces, line
/// breaks, separators) is skipped.
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}
