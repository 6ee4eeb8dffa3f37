//! Organisation ids as 360Giving publishes them: `{list}-{identifier}`, the list a code
//! from org-id.guide (`GB-CHC` charities in England and Wales, `GB-SC` Scottish charities,
//! `GB-COH` companies, `GB-NIC`, `GB-MPR`, `XI-…`, `US-EIN`…), or `360G-…` for a group
//! with no register entry, made by the funder.

use domain::FundId;

/// The longest organisation id accepted.
pub const MAX_ORG_ID_CHARS: usize = 100;

/// Why `text` is not an organisation id (`None`: it looks like one). Checks the shape
/// only: the registers themselves are not asked.
pub fn org_id_problem(text: &str) -> Option<String> {
    let id = text.trim();
    let problem = if id.is_empty() {
        "enter the organisation's id, like GB-CHC-1234567".to_string()
    } else if id.chars().count() > MAX_ORG_ID_CHARS {
        format!("an organisation id has at most {MAX_ORG_ID_CHARS} characters")
    } else if !looks_like_org_id(id) {
        format!(
            "'{id}' is not an organisation id as 360Giving uses them: give a list code and \
             the number on it, like GB-CHC-1234567 (a charity) or GB-COH-01234567 (a \
             company), or 360G-… for a group with no registration"
        )
    } else {
        return None;
    };
    Some(problem)
}

fn looks_like_org_id(id: &str) -> bool {
    let identifier_ok = |rest: &str| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    };
    if let Some(rest) = id.strip_prefix("360G-") {
        return identifier_ok(rest);
    }
    // `{country}-{register}-{identifier}`: two capital letters, a register code of capitals
    // and digits, then the identifier on that register.
    let mut parts = id.splitn(3, '-');
    let (Some(country), Some(register), Some(identifier)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    country.len() == 2
        && country.chars().all(|c| c.is_ascii_uppercase())
        && (2..=10).contains(&register.len())
        && register
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && identifier_ok(identifier)
}

/// The prefix of the ids a fund makes for unregistered groups: `360G-{fundSlug}-`, the
/// fund's slug being its id in lower case (stable and unique, unlike its name).
pub fn group_prefix(fund: &FundId) -> String {
    let slug: String = fund
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("360G-{slug}-")
}

/// The `n`th group id of `fund`.
pub fn group_org_id(fund: &FundId, n: u32) -> String {
    format!("{}{n}", group_prefix(fund))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_and_360g_ids_are_accepted() {
        for id in [
            "GB-CHC-1234567",
            "GB-COH-01234567",
            "GB-SC-SC012345",
            "360G-fund-abc-1",
            "US-EIN-12-3456789",
        ] {
            assert_eq!(org_id_problem(id), None, "{id}");
        }
    }

    #[test]
    fn other_text_is_refused_with_an_example() {
        for id in [
            "",
            "charity 123",
            "gb-chc-1",
            "GB-CHC-",
            "GB-1234",
            "360G-",
            "GB-CHC-1 2",
        ] {
            let problem = org_id_problem(id).expect(id);
            assert!(problem.contains("GB-CHC-1234567"), "{id}: {problem}");
        }
    }

    #[test]
    fn group_ids_carry_the_fund() {
        let fund = FundId::new("FUND-0A1B");
        assert_eq!(group_org_id(&fund, 3), "360G-fund-0a1b-3");
        assert_eq!(org_id_problem(&group_org_id(&fund, 3)), None);
    }
}
