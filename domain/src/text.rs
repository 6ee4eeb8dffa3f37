//! Free text a caller gives: names, titles, ids, categories (one line) and descriptions,
//! comments, reasons (prose, which may run over several lines). One reading everywhere
//! (GraphQL, the 360Giving import, the CLI's token subjects):
//!
//! - no control characters (C0 and C1, DEL): NUL can't be stored in PostgreSQL text at
//!   all, and ESC sequences rewrite the terminal of whoever reads a log or an export;
//!   prose keeps line feeds, carriage returns and tabs, one-line text keeps none;
//! - no bidirectional embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069):
//!   they make text display in another order than it is stored ("Trojan Source"), so a
//!   name could read as someone else's;
//! - not blank: a value with characters but none of them visible (spaces, zero-width
//!   spaces U+200B–U+200D, word joiner U+2060, byte-order mark U+FEFF) names nothing.
//!
//! `Line` and `Prose` can't be built otherwise (parse, don't validate); [`check_line`] and
//! [`check_prose`] apply the same rules where the text is kept as a plain `String` (command
//! and event fields, which are a stored contract and stay `String`).

use std::fmt;

/// Why a text was refused. `field` is the caller's name for it (the API's field name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field} contains the control character {} at character {at}; text may not hold control characters", code_point(*.character))]
    Control {
        field: String,
        character: char,
        /// 1-based character position.
        at: usize,
    },
    #[error("{field} contains the bidirectional formatting character {} at character {at}; it would make the text display in another order than it is stored", code_point(*.character))]
    Bidi {
        field: String,
        character: char,
        at: usize,
    },
    #[error("{field} contains a line break at character {at}; it is one line of text")]
    LineBreak { field: String, at: usize },
    #[error("{field} holds only spaces or invisible characters; give a visible value")]
    Blank { field: String },
}

fn code_point(character: char) -> String {
    format!("U+{:04X}", u32::from(character))
}

/// Characters that control display direction (embeddings, overrides, isolates).
fn is_bidi_control(character: char) -> bool {
    matches!(character, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: whitespace and the zero-width format characters.
fn is_invisible(character: char) -> bool {
    character.is_whitespace()
        || character.is_control()
        || matches!(
            character,
            '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
        )
}

/// The first character a text may never hold (controls other than `allowed`, bidi
/// controls), with its 1-based position.
fn forbidden(text: &str, allowed: &[char], field: &str) -> Result<(), TextError> {
    for (index, character) in text.chars().enumerate() {
        let at = index + 1;
        if character.is_control() && !allowed.contains(&character) {
            if matches!(character, '\n' | '\r') {
                return Err(TextError::LineBreak {
                    field: field.to_string(),
                    at,
                });
            }
            return Err(TextError::Control {
                field: field.to_string(),
                character,
                at,
            });
        }
        if is_bidi_control(character) {
            return Err(TextError::Bidi {
                field: field.to_string(),
                character,
                at,
            });
        }
        // U+2028/U+2029 are line and paragraph separators: line breaks by another name.
        if matches!(character, '\u{2028}' | '\u{2029}') && !allowed.contains(&'\n') {
            return Err(TextError::LineBreak {
                field: field.to_string(),
                at,
            });
        }
    }
    Ok(())
}

/// What prose may hold that a line may not.
const PROSE_CONTROLS: [char; 3] = ['\n', '\r', '\t'];

/// Any text reaching the ledger, before a field's own rules: no control character other
/// than line feed, carriage return and tab, no bidi control. The request-wide check of the
/// GraphQL layer (every string argument, including ids looked up and cursors).
pub fn check_any(field: &str, text: &str) -> Result<(), TextError> {
    forbidden(text, &PROSE_CONTROLS, field)
}

/// A one-line text (name, title, id, category): surrounding whitespace is trimmed (as
/// every field always was), and what remains holds no control character at all, no bidi
/// control, and is not blank when the text is non-empty (an empty value is left to the
/// field's own rule, which may make it optional or required).
pub fn check_line(field: &str, text: &str) -> Result<(), TextError> {
    forbidden(text.trim(), &[], field).map_err(|error| shifted(error, leading_whitespace(text)))?;
    not_blank(field, text)
}

/// Prose (description, comment, reason): line breaks and tabs allowed, other controls and
/// bidi controls not, and not blank when non-empty.
pub fn check_prose(field: &str, text: &str) -> Result<(), TextError> {
    forbidden(text, &PROSE_CONTROLS, field)?;
    not_blank(field, text)
}

fn leading_whitespace(text: &str) -> usize {
    text.chars()
        .take_while(|character| character.is_whitespace())
        .count()
}

/// `error` with its position counted in the untrimmed text.
fn shifted(error: TextError, by: usize) -> TextError {
    match error {
        TextError::Control {
            field,
            character,
            at,
        } => TextError::Control {
            field,
            character,
            at: at + by,
        },
        TextError::Bidi {
            field,
            character,
            at,
        } => TextError::Bidi {
            field,
            character,
            at: at + by,
        },
        TextError::LineBreak { field, at } => TextError::LineBreak { field, at: at + by },
        blank @ TextError::Blank { .. } => blank,
    }
}

fn not_blank(field: &str, text: &str) -> Result<(), TextError> {
    if !text.is_empty() && text.chars().all(is_invisible) {
        return Err(TextError::Blank {
            field: field.to_string(),
        });
    }
    Ok(())
}

/// A checked one-line text, trimmed of surrounding whitespace, never empty.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Line(String);

impl Line {
    pub fn parse(field: &str, text: &str) -> Result<Line, TextError> {
        check_line(field, text)?;
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(TextError::Blank {
                field: field.to_string(),
            });
        }
        Ok(Line(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checked prose, trimmed of surrounding whitespace (may be empty).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prose(String);

impl Prose {
    pub fn parse(field: &str, text: &str) -> Result<Prose, TextError> {
        check_prose(field, text)?;
        Ok(Prose(text.trim().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_and_prose_pass() {
        assert_eq!(
            Line::parse("name", "  Hull Community Larder ")
                .unwrap()
                .as_str(),
            "Hull Community Larder"
        );
        assert!(check_line("name", "Café Ωmega – 北京 ☕").is_ok());
        assert!(check_line("name", "مؤسسة خيرية").is_ok());
        assert!(check_prose("description", "line one\nline two\r\n\tindented").is_ok());
        assert!(check_line("comment", "").is_ok());
    }

    #[test]
    fn control_characters_are_refused_naming_field_and_place() {
        assert_eq!(
            check_line("name", "ab\u{0}c").unwrap_err().to_string(),
            "name contains the control character U+0000 at character 3; text may not hold control characters"
        );
        assert!(matches!(
            check_prose("comment", "\u{1b}[31mred"),
            Err(TextError::Control { at: 1, .. })
        ));
        assert!(matches!(
            check_prose("comment", "x\u{7f}"),
            Err(TextError::Control { .. })
        ));
        assert!(matches!(
            check_prose("comment", "x\u{85}"),
            Err(TextError::Control { .. })
        ));
        assert!(matches!(
            check_any("id", "a\u{0}"),
            Err(TextError::Control { .. })
        ));
    }

    #[test]
    fn line_breaks_are_refused_in_one_line_text_only() {
        assert!(matches!(
            check_line("name", "a\nb"),
            Err(TextError::LineBreak { at: 2, .. })
        ));
        assert!(matches!(
            check_line("name", "a\u{2028}b"),
            Err(TextError::LineBreak { .. })
        ));
        assert!(matches!(
            check_line("name", "a\tb"),
            Err(TextError::Control { .. })
        ));
        assert!(check_prose("reason", "a\nb").is_ok());
        // Surrounding whitespace is trimmed, as it always was; a tab inside is not.
        assert!(check_line("title", "\t Larder \r\n").is_ok());
        assert!(matches!(
            check_line("title", "\t=1\t+1"),
            Err(TextError::Control { at: 4, .. })
        ));
    }

    #[test]
    fn bidi_controls_are_refused() {
        for character in ['\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}'] {
            let text = format!("abc{character}def");
            assert!(
                matches!(
                    check_prose("title", &text),
                    Err(TextError::Bidi { at: 4, .. })
                ),
                "{character:?}"
            );
        }
    }

    #[test]
    fn invisible_only_values_are_blank() {
        for text in [
            "\u{200B}\u{200B}",
            " \u{FEFF} ",
            "\u{200D}",
            "   ",
            "\u{2060}",
        ] {
            assert!(
                matches!(check_line("name", text), Err(TextError::Blank { .. })),
                "{text:?}"
            );
        }
        assert!(matches!(
            Line::parse("name", ""),
            Err(TextError::Blank { .. })
        ));
        // A zero-width joiner inside a visible word (emoji sequences) is fine.
        assert!(check_line("name", "a\u{200D}b").is_ok());
    }
}
