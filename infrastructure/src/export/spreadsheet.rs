//! CSV that opens cleanly in a spreadsheet (Excel, LibreOffice, Numbers): UTF-8 with a
//! byte order mark (without it Excel reads the file as the machine's legacy code page and
//! "£" or "Ynys Môn" come out garbled), CRLF line ends (RFC 4180), and no text cell that
//! can run as a formula (OWASP's CSV injection advice).
//!
//! What a cell holds is the caller's choice: dates written `YYYY-MM-DD` (a spreadsheet reads
//! them as dates), amounts as plain numbers with two places (no `£`, no thousands
//! separator, so they sum), and every other cell passed through [`csv_text_cell`].

use super::ExportError;

/// The UTF-8 byte order mark a spreadsheet needs to read a CSV file as UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection
/// list): `=`, `+`, `-`, `@`, and tab and carriage return, which spreadsheets trim before
/// looking, so `\t=1+1` is a formula too.
pub const CSV_FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as a spreadsheet will show it rather than run it: one starting with a
/// formula trigger gets a leading `'` (OWASP's advice; spreadsheets hide the quote and
/// show the text). The first character is looked at as written, before any trimming, so
/// a leading tab or carriage return is caught itself rather than trimmed away; leading
/// spaces are looked past, since some spreadsheets trim them too.
///
/// Only text goes through here. A number cell is written as the decimal's own digits and
/// left alone: fundledger's money is never negative (`domain::Money`), so no amount it
/// writes starts with `-`; a cell that must stay a number is therefore never quoted.
pub fn csv_text_cell(text: String) -> String {
    let first = text.trim_start_matches(' ').chars().next();
    match first {
        Some(character) if CSV_FORMULA_TRIGGERS.contains(&character) => format!("'{text}"),
        _ => text,
    }
}

/// A CSV writer into memory with CRLF line ends; fields are quoted where needed (a comma,
/// a quote, a line break).
pub fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// The bytes written so far.
pub fn finish(writer: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, ExportError> {
    writer
        .into_inner()
        .map_err(|error| error.into_error().into())
}

/// The start of a spreadsheet CSV file: the byte order mark and the header line.
pub fn header(columns: &[&str]) -> Result<Vec<u8>, ExportError> {
    let mut writer = writer();
    writer.write_record(columns)?;
    let mut bytes = UTF8_BOM.to_vec();
    bytes.extend(finish(writer)?);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_starts_with_the_bom_and_ends_with_crlf() {
        let bytes = header(&["Award id", "Title, in full"]).unwrap();
        assert!(bytes.starts_with(UTF8_BOM));
        assert_eq!(
            &bytes[UTF8_BOM.len()..],
            b"Award id,\"Title, in full\"\r\n".as_slice()
        );
    }

    #[test]
    fn formula_triggers_are_made_inert_and_other_text_is_left() {
        for (text, written) in [
            (
                "=HYPERLINK(\"http://evil\",\"x\")",
                "'=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("@SUM(1)", "'@SUM(1)"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("  =1", "'  =1"),
            ("Larder = food", "Larder = food"),
            ("", ""),
        ] {
            assert_eq!(csv_text_cell(text.to_string()), written, "{text:?}");
        }
    }
}
