//! Helpers shared by the unit tests.

/// Parse hex text: whitespace and `# comments` ignored, so the annotated
/// dumps of the specifications can be pasted with their notes.
pub(crate) fn hex(text: &str) -> Vec<u8> {
    let digits: String = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd hex digit count");
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Feed every strict prefix of `full` to `decode` and check that none panics
/// and none is accepted. Returns how many prefixes were tried.
pub(crate) fn assert_every_prefix_fails<T: std::fmt::Debug, E>(
    full: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, E>,
) -> usize {
    for cut in 0..full.len() {
        if let Ok(v) = decode(&full[..cut]) {
            panic!("prefix of {cut}/{} bytes was accepted: {v:?}", full.len());
        }
    }
    full.len()
}
