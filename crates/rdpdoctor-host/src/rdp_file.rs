//! `.rdp` connection files, sans-I/O: bytes in, an
//! [`rdpdoctor_evidence::RdpFile`] out. mstsc writes UTF-16LE with a byte
//! order mark; RD Web, scripts and other clients write UTF-8. Each line is
//! `name:type:value` (type `i`, `s` or `b`); a line that is not becomes a
//! note, never an error. Only a file that is not text at all, or too big
//! to be one, is refused.

use rdpdoctor_evidence::{RdpFile, RdpFileEncoding, RdpSetting};

/// The largest file read: mstsc's files are a few KiB, and a signed one
/// with its certificate blob stays far below this.
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// The most lines kept.
pub const MAX_LINES: usize = 4096;
/// The longest value kept, in characters (`signature:s:` blobs are cut).
pub const MAX_VALUE_CHARS: usize = 16 * 1024;

/// Why a file is not an `.rdp` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RdpFileError {
    /// Over [`MAX_FILE_BYTES`].
    TooBig(usize),
    /// Not text: bytes that are not UTF-8 (or UTF-16 after a BOM), or
    /// control characters.
    NotText,
    /// Text, but not one `name:type:value` line in it.
    NoSettings,
}

impl std::fmt::Display for RdpFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RdpFileError::TooBig(n) => write!(
                f,
                "is {n} bytes: an .rdp file is text of a few KiB (at most {MAX_FILE_BYTES} bytes read)"
            ),
            RdpFileError::NotText => f.write_str(
                "is not text: an .rdp file is UTF-16LE (as mstsc saves it) or UTF-8 lines name:type:value",
            ),
            RdpFileError::NoSettings => f.write_str(
                "has no name:type:value line (e.g. full address:s:host): not an .rdp file",
            ),
        }
    }
}

impl std::error::Error for RdpFileError {}

/// The text and its encoding.
fn decode(bytes: &[u8]) -> Result<(String, RdpFileEncoding), RdpFileError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        if rest.len() % 2 != 0 {
            return Err(RdpFileError::NotText);
        }
        let units = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        let text: String = char::decode_utf16(units)
            .collect::<Result<_, _>>()
            .map_err(|_| RdpFileError::NotText)?;
        return Ok((text, RdpFileEncoding::Utf16LeBom));
    }
    let (rest, enc) = match bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        Some(r) => (r, RdpFileEncoding::Utf8Bom),
        None => (bytes, RdpFileEncoding::Utf8),
    };
    let text = std::str::from_utf8(rest).map_err(|_| RdpFileError::NotText)?;
    Ok((text.to_owned(), enc))
}

/// Whether a character has no place in a text file (tabs and line ends
/// apart): NUL and other C0/C1 controls mean a binary file, or UTF-16
/// saved without its BOM.
fn is_binary(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\r' | '\n')) || c == '\u{FFFE}'
}

/// Reads an `.rdp` file.
pub fn parse(bytes: &[u8]) -> Result<RdpFile, RdpFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(RdpFileError::TooBig(bytes.len()));
    }
    let (text, encoding) = decode(bytes)?;
    if text.chars().any(is_binary) {
        return Err(RdpFileError::NotText);
    }
    let mut file = RdpFile {
        encoding,
        settings: Vec::new(),
        notes: Vec::new(),
        notes_dropped: 0,
    };
    let note = |file: &mut RdpFile, n: String| {
        if file.notes.len() < RdpFile::MAX_NOTES {
            file.notes.push(n);
        } else {
            file.notes_dropped += 1;
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if line > MAX_LINES {
            note(&mut file, format!("lines after {MAX_LINES} were not read"));
            break;
        }
        let l = raw.trim();
        if l.is_empty() {
            continue;
        }
        let mut parts = l.splitn(3, ':');
        let (Some(name), Some(kind), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            note(
                &mut file,
                format!("line {line}: not name:type:value, ignored"),
            );
            continue;
        };
        let name = name.trim().to_lowercase();
        let kind = match kind.trim() {
            "i" | "I" => 'i',
            "s" | "S" => 's',
            "b" | "B" => 'b',
            _ => {
                note(
                    &mut file,
                    format!("line {line}: unknown type for {name} (i, s or b), ignored"),
                );
                continue;
            }
        };
        if name.is_empty() {
            note(&mut file, format!("line {line}: no setting name, ignored"));
            continue;
        }
        if kind == 'i' && value.trim().parse::<i64>().is_err() {
            note(
                &mut file,
                format!(
                    "line {line}: {name} is an integer setting but its value is not a number, ignored"
                ),
            );
            continue;
        }
        let value: String = value.chars().take(MAX_VALUE_CHARS).collect();
        file.settings.push(RdpSetting {
            line,
            name,
            kind,
            value,
        });
    }
    if file.settings.is_empty() {
        return Err(RdpFileError::NoSettings);
    }
    Ok(file)
}
