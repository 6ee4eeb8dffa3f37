//! The public page (`GET /`) rendered on the server: fund positions, the top
//! neighbourhoods by amount awarded, an inline SVG bar chart, links to GraphiQL and the
//! exports, and the ledger's head. Nothing is fetched from elsewhere (no CDN, no script):
//! the styles and the chart are inline. Every piece of text passes through [`escape`].
//!
//! Rendering is a pure function of [`PageData`], which the handler fills from a few read
//! model queries; only public figures are in it.

use std::fmt::Write;

use domain::Money;
use projections::read::{FundPosition, LedgerHead, NeighbourhoodTotals, Totals};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Width of the longest bar in the chart, in SVG user units (pixels at 100%).
pub const CHART_BAR_WIDTH_PX: u32 = 420;
/// Height of one bar and its gap, in pixels.
pub const CHART_ROW_HEIGHT_PX: u32 = 28;
/// Room for the area names left of the bars, in pixels.
pub const CHART_LABEL_WIDTH_PX: u32 = 250;
/// Room for the amount right of the longest bar, in pixels.
pub const CHART_VALUE_WIDTH_PX: u32 = 130;

/// What the page shows.
#[derive(Debug, Clone, Default)]
pub struct PageData {
    pub funds: Vec<FundPosition>,
    /// Every award, whatever its area.
    pub totals: Totals,
    /// The neighbourhoods with the most awarded, most first.
    pub top_neighbourhoods: Vec<NeighbourhoodTotals>,
    /// The chart's bars, most first, and what they are ("local authority" or
    /// "neighbourhood").
    pub chart: Vec<NeighbourhoodTotals>,
    pub chart_level: &'static str,
    pub head: Option<LedgerHead>,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `£1,234.56`, as everywhere else in fundledger.
pub fn pounds(amount: Decimal) -> String {
    Money::new(amount)
        .map(|money| money.to_string())
        .unwrap_or_else(|_| format!("£{amount}"))
}

fn area_name(area: &NeighbourhoodTotals) -> String {
    area.area
        .name
        .clone()
        .unwrap_or_else(|| area.area.code.clone())
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:70rem;padding:1rem 1.5rem;color:#1b1b1b;line-height:1.45}\
h1{margin-bottom:.2rem}header p{margin-top:0;color:#555}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}\
th,td{padding:.35rem .6rem;border-bottom:1px solid #ddd;text-align:left}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\
.chart{max-width:100%;height:auto}.chart text{font-size:13px;fill:#1b1b1b}.chart rect{fill:#2b6cb0}\
code{font-size:.85rem;word-break:break-all}footer{color:#555;font-size:.9rem;margin-top:2rem}";

/// The whole page.
pub fn render(data: &PageData) -> String {
    let mut html = String::with_capacity(16 * 1024);
    html.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str("<title>fundledger: where the money went</title>\n");
    let _ = writeln!(html, "<style>{STYLE}</style>\n</head>\n<body>");
    html.push_str("<header>\n<h1>Where the money went</h1>\n");
    let _ = writeln!(
        html,
        "<p>{} awarded in {} awards to {} organisations; {} disbursed. Every figure is read \
         from the ledger's event log and reconciles to the penny.</p>\n</header>",
        escape(&pounds(data.totals.awarded)),
        data.totals.award_count,
        data.totals.recipient_count,
        escape(&pounds(data.totals.disbursed)),
    );
    render_funds(&mut html, &data.funds);
    render_chart(&mut html, &data.chart, data.chart_level);
    render_neighbourhoods(&mut html, &data.top_neighbourhoods);
    render_links(&mut html, data.head.as_ref());
    html.push_str("</body>\n</html>\n");
    html
}

fn render_funds(html: &mut String, funds: &[FundPosition]) {
    html.push_str("<section>\n<h2>Funds</h2>\n");
    if funds.is_empty() {
        html.push_str("<p>No fund has been established yet.</p>\n</section>\n");
        return;
    }
    html.push_str(
        "<table>\n<caption>Each figure as the project's glossary defines it: allocated is \
         set aside for rounds net of money released back; disbursed is paid − returned; \
         available is capital received − allocated + returned.</caption>\n\
         <thead><tr><th>Fund</th><th>Funder</th><th class=\"n\">Capital received</th>\
         <th class=\"n\">Allocated</th><th class=\"n\">Awarded</th>\
         <th class=\"n\">Disbursed</th><th class=\"n\">Returned</th><th class=\"n\">Available</th></tr></thead>\n<tbody>\n",
    );
    for fund in funds {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&fund.name),
            escape(&fund.funder_name),
            escape(&pounds(fund.capital_received)),
            escape(&pounds(fund.allocated)),
            escape(&pounds(fund.awarded)),
            escape(&pounds(fund.disbursed)),
            escape(&pounds(fund.returned)),
            escape(&pounds(fund.available)),
        );
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

/// A bar's length: its share of the largest amount, at least 1 px when above zero.
fn bar_width(amount: Decimal, largest: Decimal) -> u32 {
    if largest <= Decimal::ZERO || amount <= Decimal::ZERO {
        return 0;
    }
    let width = (amount * Decimal::from(CHART_BAR_WIDTH_PX) / largest)
        .round()
        .to_u32()
        .unwrap_or(CHART_BAR_WIDTH_PX);
    width.clamp(1, CHART_BAR_WIDTH_PX)
}

fn render_chart(html: &mut String, bars: &[NeighbourhoodTotals], level: &str) {
    let _ = writeln!(html, "<section>\n<h2>Awarded per {}</h2>", escape(level));
    if bars.is_empty() {
        html.push_str("<p>Nothing has been awarded yet.</p>\n</section>\n");
        return;
    }
    let largest = bars
        .iter()
        .map(|bar| bar.totals.awarded)
        .max()
        .unwrap_or_default();
    let width = CHART_LABEL_WIDTH_PX + CHART_BAR_WIDTH_PX + CHART_VALUE_WIDTH_PX;
    let height = CHART_ROW_HEIGHT_PX * bars.len() as u32;
    let _ = writeln!(
        html,
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart-title\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <title id=\"chart-title\">Amount awarded per {}</title>",
        escape(level)
    );
    for (index, bar) in bars.iter().enumerate() {
        let top = CHART_ROW_HEIGHT_PX * index as u32;
        let middle = top + CHART_ROW_HEIGHT_PX / 2 + 4;
        let length = bar_width(bar.totals.awarded, largest);
        let amount = escape(&pounds(bar.totals.awarded));
        let _ = writeln!(
            html,
            "<g><text x=\"0\" y=\"{middle}\">{}</text>\
             <rect x=\"{CHART_LABEL_WIDTH_PX}\" y=\"{}\" width=\"{length}\" height=\"{}\"><title>{}: {amount}</title></rect>\
             <text x=\"{}\" y=\"{middle}\">{amount}</text></g>",
            escape(&area_name(bar)),
            top + 4,
            CHART_ROW_HEIGHT_PX - 8,
            escape(&area_name(bar)),
            CHART_LABEL_WIDTH_PX + length + 6,
        );
    }
    html.push_str("</svg>\n</section>\n");
}

fn render_neighbourhoods(html: &mut String, areas: &[NeighbourhoodTotals]) {
    html.push_str("<section>\n<h2>Top neighbourhoods by amount awarded</h2>\n");
    if areas.is_empty() {
        html.push_str(
            "<p>No award is in a neighbourhood of the reference geography yet.</p>\n</section>\n",
        );
        return;
    }
    html.push_str(
        "<table>\n<thead><tr><th>Neighbourhood</th><th>Code</th><th class=\"n\">Awarded</th>\
         <th class=\"n\">Disbursed</th><th class=\"n\">Awards</th><th class=\"n\">Awarded per head</th></tr></thead>\n<tbody>\n",
    );
    for area in areas {
        let per_head = area
            .totals
            .awarded_per_head(area.area.population)
            .map(pounds)
            .unwrap_or_default();
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&area_name(area)),
            escape(&area.area.code),
            escape(&pounds(area.totals.awarded)),
            escape(&pounds(area.totals.disbursed)),
            area.totals.award_count,
            escape(&per_head),
        );
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

fn render_links(html: &mut String, head: Option<&LedgerHead>) {
    html.push_str(
        "<section>\n<h2>The data</h2>\n<ul>\n\
         <li><a href=\"/graphql\">GraphQL API (GraphiQL)</a>: every public figure, by fund, round, award and area</li>\n\
         <li><a href=\"/export/360giving.json\">360Giving JSON</a> and \
         <a href=\"/export/360giving.csv\">360Giving CSV</a>: every award in the 360Giving Data Standard</li>\n\
         </ul>\n</section>\n<footer>\n",
    );
    match head {
        Some(head) => {
            let _ = writeln!(
                html,
                "<p>Ledger: {} events chained; position {}; head hash <code>{}</code>. \
                 <code>fundledger verify</code> recomputes it.</p>",
                head.events,
                head.position,
                escape(&head.head)
            );
        }
        None => html.push_str("<p>Ledger head unavailable.</p>\n"),
    }
    html.push_str("</footer>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use projections::read::Area;
    use rust_decimal_macros::dec;

    fn area(code: &str, name: &str, awarded: Decimal) -> NeighbourhoodTotals {
        NeighbourhoodTotals {
            area: Area {
                code: code.into(),
                name: Some(name.into()),
                level: Some("lsoa".into()),
                parent_code: None,
                population: Some(1000),
                imd_decile: None,
            },
            totals: Totals {
                awarded,
                award_count: 1,
                ..Totals::default()
            },
        }
    }

    #[test]
    fn text_is_escaped_everywhere_it_is_shown() {
        let hostile = area("E01000001", "<script>alert('x')</script> & co", dec!(5));
        let page = render(&PageData {
            top_neighbourhoods: vec![hostile.clone()],
            chart: vec![hostile],
            chart_level: "local authority",
            ..PageData::default()
        });
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
    }

    #[test]
    fn bars_are_proportional_to_the_amount_awarded() {
        assert_eq!(bar_width(dec!(100), dec!(100)), CHART_BAR_WIDTH_PX);
        assert_eq!(bar_width(dec!(50), dec!(100)), CHART_BAR_WIDTH_PX / 2);
        assert_eq!(bar_width(dec!(0.01), dec!(1000000)), 1);
        assert_eq!(bar_width(Decimal::ZERO, dec!(100)), 0);
    }

    #[test]
    fn amounts_show_as_pounds_and_pence() {
        assert_eq!(pounds(dec!(10000.50)), "£10,000.50");
    }
}
