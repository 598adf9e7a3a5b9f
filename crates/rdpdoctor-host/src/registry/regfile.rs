//! `reg export` files, parsed without I/O.
//!
//! Two formats: "Windows Registry Editor Version 5.00" (what `reg export`
//! and regedit write: UTF-16LE with a BOM) and "REGEDIT4" (ANSI). Lines are
//! `[KEY]`, `[-KEY]` (delete), `"name"=data` or `@=data` (the default
//! value), `"name"=-` (delete), `;` comments; `hex…:` data continues on the
//! next line after a trailing `\`, and a string holding a line break runs
//! on to the line with its closing quote. Data: `"string"`, `dword:XXXXXXXX`,
//! `hex:` (REG_BINARY) and `hex(N):` for other types (2 = REG_EXPAND_SZ,
//! 7 = REG_MULTI_SZ, b = REG_QWORD, …) with strings in UTF-16LE (REGEDIT5)
//! or single bytes in the ANSI code page (REGEDIT4; read as Windows-1252).
//!
//! Why not the `regashii` crate: it stops at the first line it cannot parse
//! and returns what came before as if the file ended there, with no word of
//! it, and it tries UTF-8 before the BOM. A damaged export must give what it
//! can *and* say which line was not read.

use super::view::Data;

/// A `.reg` file's format, from its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `Windows Registry Editor Version 5.00`.
    Regedit5,
    /// `REGEDIT4`.
    Regedit4,
}

/// One `[KEY]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The key as written, e.g. `HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\…`.
    pub path: String,
    /// `[-KEY]`: the key and its subkeys are deleted.
    pub deleted: bool,
    /// Its values in file order; `None` data = `"name"=-` (deleted).
    pub values: Vec<(String, Option<Data>)>,
}

/// A parsed export: its sections, and the lines that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegFile {
    /// The format.
    pub format: Format,
    /// The sections in file order.
    pub sections: Vec<Section>,
    /// One line each: `line N: what was wrong`.
    pub problems: Vec<String>,
}

/// Why a file is not a `.reg` export at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegError {
    /// The header line is missing.
    #[error(
        "it does not start with \"Windows Registry Editor Version 5.00\" or \"REGEDIT4\" (the first line of a reg export)"
    )]
    NoHeader,
    /// UTF-16 with an odd number of bytes.
    #[error("it is UTF-16 with an odd number of bytes (cut short?)")]
    OddUtf16,
}

/// At most this many problems are kept.
const MAX_PROBLEMS: usize = 50;

/// Decodes the bytes of a file: UTF-16LE when it starts with the BOM
/// `FF FE`, UTF-8 (with or without its BOM) when valid, else Windows-1252.
/// REGEDIT4 files are written in the system's ANSI code page; 1252 is the
/// one of Western-European and US English Windows, and a byte it does not
/// map stays a character (never an error), so a file in another code page
/// still gives its ASCII names and data.
pub fn decode_text(bytes: &[u8]) -> Result<String, RegError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        if rest.len() % 2 != 0 {
            return Err(RegError::OddUtf16);
        }
        return Ok(utf16le(rest));
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(_) => Ok(ansi(bytes)),
    }
}

/// Windows-1252 bytes to text.
fn ansi(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// UTF-16LE to text (a lone surrogate becomes U+FFFD; an odd last byte is
/// dropped).
fn utf16le(bytes: &[u8]) -> String {
    let units = bytes.chunks_exact(2).map(|c| {
        u16::from_le_bytes([
            c.first().copied().unwrap_or(0),
            c.last().copied().unwrap_or(0),
        ])
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Whether decoded text starts like a `.reg` export.
pub fn sniff(text: &str) -> Option<Format> {
    let first = text.lines().find(|l| !l.trim().is_empty())?.trim();
    if first == "Windows Registry Editor Version 5.00" {
        Some(Format::Regedit5)
    } else if first == "REGEDIT4" {
        Some(Format::Regedit4)
    } else {
        None
    }
}

/// Parses decoded text. Lines that cannot be read are listed in
/// [`RegFile::problems`] and skipped; only a missing header is an error.
pub fn parse(text: &str) -> Result<RegFile, RegError> {
    let format = sniff(text).ok_or(RegError::NoHeader)?;
    let mut file = RegFile {
        format,
        sections: Vec::new(),
        problems: Vec::new(),
    };
    let mut header_seen = false;
    for (number, line) in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        if let Err(why) = parse_line(line, &mut file)
            && file.problems.len() < MAX_PROBLEMS
        {
            file.problems.push(format!("line {number}: {why}"));
        }
    }
    Ok(file)
}

/// Joins continuation lines: a trailing `\` continues hex data on the next
/// line (whose leading spaces are dropped), and a string value whose closing
/// quote is on a later line spans the lines between, with the line breaks
/// kept in the string (regedit writes a `REG_SZ` holding a line break that
/// way). Yields the first physical line's number with each logical line.
fn logical_lines(text: &str) -> impl Iterator<Item = (usize, String)> + '_ {
    let lines: Vec<(&str, &str)> = text.split_inclusive('\n').map(split_break).collect();
    let mut i = 0usize;
    std::iter::from_fn(move || {
        let start = i;
        let (first, _) = *lines.get(i)?;
        i += 1;
        let mut line = first.trim_end().to_owned();
        while line.ends_with('\\') && is_hex_data(&line) {
            line.pop();
            match lines.get(i) {
                Some((next, _)) => line.push_str(next.trim()),
                None => break,
            }
            i += 1;
        }
        if opens_string(&line)
            && let Some(end) = closing_line(&lines, start)
        {
            line = lines
                .get(start..=end)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(n, (l, br))| if start + n == end { *l } else { *br })
                .fold(String::new(), |mut acc, piece| {
                    acc.push_str(piece);
                    acc
                });
            i = end + 1;
        }
        Some((start + 1, line))
    })
}

/// A physical line (with its break, if any) split into its text and the
/// whole of it: `("a", "a\r\n")`.
fn split_break(raw: &str) -> (&str, &str) {
    let text = raw.strip_suffix('\n').unwrap_or(raw);
    (text.strip_suffix('\r').unwrap_or(text), raw)
}

/// At most this many lines are joined into one string value: past it, the
/// first line is a string without its closing quote (a damaged file must
/// not swallow the rest of itself).
const MAX_STRING_LINES: usize = 10_000;

/// The line on which the string value opened at line `start` closes, when
/// it does (within [`MAX_STRING_LINES`]). One pass over each line: a quote
/// that no `\` escapes closes it.
fn closing_line(lines: &[(&str, &str)], start: usize) -> Option<usize> {
    let (first, raw) = lines.get(start)?;
    let mut escaped = scan(open_string_tail(first)?, false).1;
    // The line break itself is a character of the string.
    escaped = scan(raw.get(first.len()..).unwrap_or_default(), escaped).1;
    for end in start + 1..lines.len().min(start + MAX_STRING_LINES) {
        let (text, raw) = lines.get(end)?;
        let (closed, e) = scan(text, escaped);
        if let Some(after) = closed {
            // Regedit escapes every quote inside a string, so the first bare
            // one closes it, and only a comment may follow: anything else
            // means the string never closed and this line is a value of its own.
            let rest = text.get(after..).unwrap_or_default().trim();
            return (rest.is_empty() || rest.starts_with(';')).then_some(end);
        }
        escaped = scan(raw.get(text.len()..).unwrap_or_default(), e).1;
    }
    None
}

/// Scans string characters from inside a string: where the text after an
/// unescaped quote that ends it starts, and whether the last character left
/// an escape pending.
fn scan(s: &str, mut escaped: bool) -> (Option<usize>, bool) {
    for (i, c) in s.char_indices() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return (Some(i + 1), false),
            _ => {}
        }
    }
    (None, escaped)
}

/// Whether a value line's string data has no closing quote on it.
fn opens_string(line: &str) -> bool {
    open_string_tail(line).is_some()
}

/// The text after the opening quote of a value line's string data, when
/// that string does not close on the line.
fn open_string_tail(line: &str) -> Option<&str> {
    let rest = if let Some(rest) = line.strip_prefix('@') {
        rest
    } else if line.starts_with('"') {
        quoted(line).ok()?.1
    } else {
        return None;
    };
    let data = rest.trim_start().strip_prefix('=')?.trim_start();
    (data.starts_with('"') && quoted(data).is_err()).then(|| data.get(1..).unwrap_or_default())
}

/// A continuation `\` only ends lines of hex data (a key path may end in a
/// backslash by mistake; a string spans lines only inside its quotes).
fn is_hex_data(line: &str) -> bool {
    line.split_once('=')
        .is_some_and(|(_, d)| d.trim_start().starts_with("hex"))
}

fn parse_line(line: &str, file: &mut RegFile) -> Result<(), String> {
    if let Some(inner) = line.strip_prefix('[') {
        let end = inner.rfind(']').ok_or("a key line without its closing ]")?;
        let name = inner.get(..end).unwrap_or_default();
        let (deleted, path) = match name.strip_prefix('-') {
            Some(p) => (true, p),
            None => (false, name),
        };
        if path.trim().is_empty() {
            return Err("an empty key name".to_owned());
        }
        file.sections.push(Section {
            path: path.trim().to_owned(),
            deleted,
            values: Vec::new(),
        });
        return Ok(());
    }
    let (name, rest) = if let Some(rest) = line.strip_prefix('@') {
        (String::new(), rest)
    } else if line.starts_with('"') {
        quoted(line)?
    } else {
        return Err("not a key, a value or a comment".to_owned());
    };
    let data = rest
        .trim_start()
        .strip_prefix('=')
        .ok_or("a value name without =")?
        .trim();
    let data = if data == "-" {
        None
    } else {
        Some(parse_data(data, file.format)?)
    };
    let section = file.sections.last_mut().ok_or("a value before any [key]")?;
    section.values.push((name, data));
    Ok(())
}

/// A quoted string with `\\` and `\"` escapes: the string and what follows.
fn quoted(s: &str) -> Result<(String, &str), String> {
    let body = s
        .strip_prefix('"')
        .ok_or("a string without its opening quote")?;
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, body.get(i + 1..).unwrap_or_default())),
            '\\' => match chars.next() {
                Some((_, e)) => out.push(e),
                None => break,
            },
            c => out.push(c),
        }
    }
    Err("a string without its closing quote".to_owned())
}

fn parse_data(data: &str, format: Format) -> Result<Data, String> {
    if data.starts_with('"') {
        let (s, rest) = quoted(data)?;
        if !rest.trim().is_empty() && !rest.trim().starts_with(';') {
            return Err("text after a string value".to_owned());
        }
        return Ok(Data::Sz(s));
    }
    if let Some(hex) = data.strip_prefix("dword:") {
        let hex = hex.trim();
        if hex.is_empty() || hex.len() > 8 {
            return Err(format!("bad dword \"{hex}\": use 1 to 8 hex digits"));
        }
        return u32::from_str_radix(hex, 16)
            .map(Data::Dword)
            .map_err(|_| format!("bad dword \"{hex}\": use 1 to 8 hex digits"));
    }
    let (kind, bytes) = if let Some(b) = data.strip_prefix("hex:") {
        (3, b)
    } else if let Some(t) = data.strip_prefix("hex(") {
        let (k, b) = t.split_once("):").ok_or("hex( without its ):")?;
        let k = u32::from_str_radix(k, 16).map_err(|_| format!("bad value type hex({k})"))?;
        (k, b)
    } else {
        return Err("data that is not \"string\", dword: or hex".to_owned());
    };
    let bytes = hex_bytes(bytes)?;
    Ok(typed(kind, bytes, format))
}

fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
    let s = s.split(';').next().unwrap_or_default();
    let mut out = Vec::with_capacity(s.len() / 3 + 1);
    for part in s.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if part.len() > 2 {
            return Err(format!("bad hex byte \"{part}\""));
        }
        out.push(u8::from_str_radix(part, 16).map_err(|_| format!("bad hex byte \"{part}\""))?);
    }
    Ok(out)
}

/// Bytes of registry type `kind` ([MS-RRP 2.2.6]: 1 REG_SZ, 2 REG_EXPAND_SZ,
/// 3 REG_BINARY, 4 REG_DWORD, 5 REG_DWORD_BIG_ENDIAN, 7 REG_MULTI_SZ,
/// 11 REG_QWORD) to data; anything odd stays binary.
fn typed(kind: u32, bytes: Vec<u8>, format: Format) -> Data {
    match kind {
        1 | 2 => Data::Sz(
            strings(&bytes, format)
                .into_iter()
                .next()
                .unwrap_or_default(),
        ),
        7 => Data::MultiSz(strings(&bytes, format)),
        4 | 5 => match <[u8; 4]>::try_from(bytes.as_slice()) {
            Ok(a) if kind == 4 => Data::Dword(u32::from_le_bytes(a)),
            Ok(a) => Data::Dword(u32::from_be_bytes(a)),
            Err(_) => Data::Binary(bytes),
        },
        11 => match <[u8; 8]>::try_from(bytes.as_slice()) {
            Ok(a) => Data::Qword(u64::from_le_bytes(a)),
            Err(_) => Data::Binary(bytes),
        },
        _ => Data::Binary(bytes),
    }
}

/// NUL-separated strings, UTF-16LE in REGEDIT5, one byte each in REGEDIT4;
/// the empty string that ends a multi-string is dropped.
fn strings(bytes: &[u8], format: Format) -> Vec<String> {
    let text: String = match format {
        Format::Regedit5 => utf16le(bytes),
        Format::Regedit4 => ansi(bytes),
    };
    let mut parts: Vec<String> = text.split('\0').map(str::to_owned).collect();
    while parts.last().is_some_and(String::is_empty) {
        parts.pop();
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_every_kind_and_continuations() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_LOCAL_MACHINE\\SOFTWARE\\X]\r\n\
            @=\"default\"\r\n\
            \"S\"=\"a \\\"q\\\" \\\\ b\"\r\n\
            \"D\"=dword:0000000a\r\n\
            \"B\"=hex:01,02,\\\r\n  03,ff\r\n\
            \"E\"=hex(2):25,00,41,00,00,00\r\n\
            \"M\"=hex(7):61,00,00,00,62,00,00,00,00,00\r\n\
            \"Q\"=hex(b):01,00,00,00,00,00,00,00\r\n\
            \"Gone\"=-\r\n\
            [-HKEY_LOCAL_MACHINE\\SOFTWARE\\Y]\r\n";
        let f = parse(text).unwrap();
        assert_eq!(f.format, Format::Regedit5);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let v = &f.sections[0].values;
        assert_eq!(v[0], (String::new(), Some(Data::Sz("default".into()))));
        assert_eq!(v[1].1, Some(Data::Sz("a \"q\" \\ b".into())));
        assert_eq!(v[2].1, Some(Data::Dword(10)));
        assert_eq!(v[3].1, Some(Data::Binary(vec![1, 2, 3, 0xff])));
        assert_eq!(v[4].1, Some(Data::Sz("%A".into())));
        assert_eq!(v[5].1, Some(Data::MultiSz(vec!["a".into(), "b".into()])));
        assert_eq!(v[6].1, Some(Data::Qword(1)));
        assert_eq!(v[7], ("Gone".into(), None));
        assert!(f.sections[1].deleted);
    }

    #[test]
    fn a_bad_line_is_named_and_the_rest_is_kept() {
        let text = "REGEDIT4\n[HKEY_CURRENT_USER\\A]\n\"x\"=dword:zz\n\"y\"=dword:1\ngarbage\n";
        let f = parse(text).unwrap();
        assert_eq!(f.format, Format::Regedit4);
        assert_eq!(
            f.sections[0].values,
            vec![("y".into(), Some(Data::Dword(1)))]
        );
        assert_eq!(f.problems.len(), 2);
        assert!(
            f.problems[0].starts_with("line 3: bad dword"),
            "{:?}",
            f.problems
        );
    }

    #[test]
    fn a_string_with_line_breaks_spans_lines_as_regedit_writes_it() {
        // A REG_SZ holding "first\r\n[not a key]\r\n  \"quoted\" \\" and one
        // holding "a\nb" (a lone LF), then an ordinary value.
        let text = "Windows Registry Editor Version 5.00\r\n\r\n\
            [HKEY_CURRENT_USER\\X]\r\n\
            \"Note\"=\"first\r\n[not a key]\r\n  \\\"quoted\\\" \\\\\"\r\n\
            @=\"a\nb\"\r\n\
            \"After\"=dword:00000001\r\n";
        let f = parse(text).unwrap();
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.sections.len(), 1, "{:?}", f.sections);
        let v = &f.sections[0].values;
        assert_eq!(
            v[0],
            (
                "Note".into(),
                Some(Data::Sz("first\r\n[not a key]\r\n  \"quoted\" \\".into()))
            )
        );
        assert_eq!(v[1], (String::new(), Some(Data::Sz("a\nb".into()))));
        assert_eq!(v[2], ("After".into(), Some(Data::Dword(1))));
    }

    #[test]
    fn a_string_that_never_closes_costs_only_its_line() {
        let text = "REGEDIT4\n[HKEY_CURRENT_USER\\A]\n\"x\"=\"open\n\"y\"=dword:2\n";
        let f = parse(text).unwrap();
        assert_eq!(
            f.sections[0].values,
            vec![("y".into(), Some(Data::Dword(2)))]
        );
        assert_eq!(f.problems, ["line 3: a string without its closing quote"]);
    }

    #[test]
    fn regedit4_in_the_ansi_code_page_is_read_as_windows_1252() {
        // "René €" and "Ä‰" in Windows-1252: 0xE9 é, 0x80 €, 0xC4 Ä, 0x89 ‰
        // (not UTF-8, and 0x80/0x89 differ from Latin-1).
        let mut bytes = b"REGEDIT4\r\n\r\n[HKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client\\Servers\\srv]\r\n\"UsernameHint\"=\"CORP\\\\Ren".to_vec();
        bytes.extend_from_slice(&[0xE9, b' ', 0x80]);
        bytes.extend_from_slice(b"\"\r\n\"E\"=hex(2):c4,89,00\r\n");
        assert!(std::str::from_utf8(&bytes).is_err());
        let f = parse(&decode_text(&bytes).unwrap()).unwrap();
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let v = &f.sections[0].values;
        assert_eq!(v[0].1, Some(Data::Sz("CORP\\René €".into())));
        assert_eq!(v[1].1, Some(Data::Sz("Ä‰".into())));
    }

    #[test]
    fn utf16_with_bom_is_decoded_and_no_header_is_refused() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "REGEDIT4\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(sniff(&decode_text(&bytes).unwrap()), Some(Format::Regedit4));
        assert_eq!(parse("hello\n[A]\n"), Err(RegError::NoHeader));
        assert_eq!(decode_text(&[0xFF, 0xFE, 0x41]), Err(RegError::OddUtf16));
    }
}
