//! A place's awards as a spreadsheet CSV (`/areas/{code}/awards.csv`): one row per award,
//! in the order the caller gives (the caller lists them by the day they were made, then
//! id), with the columns people ask for. Written as [`super::spreadsheet`] says: UTF-8
//! with a byte order mark, CRLF, dates as `YYYY-MM-DD`, amounts as plain numbers with two
//! places, and every text cell guarded against running as a formula.

use domain::Date;
use rust_decimal::Decimal;

use super::giving360::amount_text;
use super::spreadsheet::{self, csv_text_cell};
use super::ExportError;

/// One award as a row: plain values, filled by the caller from the public GraphQL answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardLine {
    pub award_id: String,
    pub awarded_on: Date,
    pub title: String,
    pub recipient_name: String,
    pub recipient_org_id: String,
    /// The award's area's name; empty when the reference geography does not know it.
    pub place_name: String,
    /// The award's area's GSS code; empty when a historic grant named none.
    pub place_code: String,
    /// The name of the local authority the area is in; empty when there is none.
    pub local_authority: String,
    pub fund: String,
    /// The round's name; empty for a historic grant (made before fundledger).
    pub round: String,
    pub awarded: Decimal,
    pub paid: Decimal,
    pub returned: Decimal,
    pub disbursed: Decimal,
    pub reported_spend: Decimal,
    /// The status in words ("Active"), never the API's enum.
    pub status: String,
    /// The award's public page (`/awards/{id}`, absolute when the service's address is
    /// configured).
    pub page: String,
}

/// The header line's titles, in column order.
pub const COLUMNS: [&str; 17] = [
    "Award id",
    "Date awarded",
    "Title",
    "Recipient",
    "Recipient organisation id",
    "Place",
    "Place code",
    "Local authority",
    "Fund",
    "Round",
    "Amount awarded (£)",
    "Paid (£)",
    "Returned (£)",
    "Disbursed (£)",
    "Reported spend (£)",
    "Status",
    "Public page",
];

/// The start of the file: the byte order mark and the header line.
pub fn header() -> Result<Vec<u8>, ExportError> {
    spreadsheet::header(&COLUMNS)
}

fn record(line: &AwardLine) -> [String; 17] {
    let text = |value: &str| csv_text_cell(value.to_string());
    [
        text(&line.award_id),
        // `YYYY-MM-DD` is read as a date; it starts with a digit, never a trigger.
        line.awarded_on.to_string(),
        text(&line.title),
        text(&line.recipient_name),
        text(&line.recipient_org_id),
        text(&line.place_name),
        text(&line.place_code),
        text(&line.local_authority),
        text(&line.fund),
        text(&line.round),
        // Money is never negative, so an amount never starts with `-`: numbers as written.
        amount_text(line.awarded),
        amount_text(line.paid),
        amount_text(line.returned),
        amount_text(line.disbursed),
        amount_text(line.reported_spend),
        text(&line.status),
        text(&line.page),
    ]
}

/// CSV lines for `lines` (no header), in the order given.
pub fn rows(lines: &[AwardLine]) -> Result<Vec<u8>, ExportError> {
    let mut writer = spreadsheet::writer();
    for line in lines {
        writer.write_record(record(line))?;
    }
    spreadsheet::finish(writer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn line(title: &str) -> AwardLine {
        AwardLine {
            award_id: "AW-1".into(),
            awarded_on: "2026-01-10".parse().unwrap(),
            title: title.into(),
            recipient_name: "Larder Trust".into(),
            recipient_org_id: "GB-CHC-1111111".into(),
            place_name: "Kingston upon Hull 015A".into(),
            place_code: "E01012761".into(),
            local_authority: "Kingston upon Hull, City of".into(),
            fund: "Test Fund".into(),
            round: "Round One".into(),
            awarded: dec!(10000.5),
            paid: dec!(4000.25),
            returned: Decimal::ZERO,
            disbursed: dec!(4000.25),
            reported_spend: dec!(12),
            status: "Active".into(),
            page: "/awards/AW-1".into(),
        }
    }

    fn parse(bytes: &[u8]) -> Vec<csv::StringRecord> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(bytes)
            .records()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn a_row_has_dates_as_dates_and_amounts_as_plain_numbers() {
        let mut bytes = header().unwrap();
        bytes.extend(rows(&[line("Hull, \"Larder\"")]).unwrap());
        assert!(bytes.starts_with(spreadsheet::UTF8_BOM));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert_eq!(text.matches("\r\n").count(), 2, "{text}");
        assert!(!text.replace("\r\n", "").contains('\n'), "{text}");
        let records = parse(&bytes);
        assert_eq!(records[0].len(), COLUMNS.len());
        let row = &records[1];
        assert_eq!(&row[1], "2026-01-10");
        assert_eq!(&row[2], "Hull, \"Larder\"");
        assert_eq!(
            [&row[10], &row[11], &row[12], &row[13], &row[14]],
            ["10000.50", "4000.25", "0.00", "4000.25", "12.00"]
        );
    }

    #[test]
    fn hostile_text_cannot_run_as_a_formula() {
        for (hostile, written) in [
            (
                "=HYPERLINK(\"http://evil\",\"x\")",
                "'=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("@SUM(1)", "'@SUM(1)"),
            ("+1", "'+1"),
            ("-1", "'-1"),
        ] {
            let mut hostile_line = line(hostile);
            hostile_line.recipient_name = hostile.into();
            hostile_line.fund = hostile.into();
            let row = &parse(&rows(&[hostile_line]).unwrap())[0];
            assert_eq!(&row[2], written);
            assert_eq!(&row[3], written);
            assert_eq!(&row[8], written);
            assert_eq!(&row[10], "10000.50");
        }
    }
}
