//! Sharing an amount of money between groups in proportion to weights, exactly to the
//! penny (the equity view apportions an award made to a ward or a local authority to the
//! deprivation deciles of its small areas by their population).
//!
//! The rule (largest remainder, Hamilton's method): each group first gets its exact share
//! `pence × weight / Σ weights` rounded down to a whole penny; the pennies left over (fewer
//! than the number of groups) go one each to the groups with the largest remainders
//! (`pence × weight mod Σ weights`), the earlier group in the caller's order first when
//! remainders tie. The parts always add up to the amount, every part is within a penny of
//! its exact share, and the result does not depend on anything but the figures and the
//! order.

/// `pence` shared between `weights` by the largest-remainder rule above, one part per
/// weight in the same order. `None` when the weights add up to zero (nothing to share by).
pub fn by_largest_remainder(pence: u64, weights: &[u64]) -> Option<Vec<u64>> {
    let total: u128 = weights.iter().map(|weight| u128::from(*weight)).sum();
    if total == 0 {
        return None;
    }
    // u64 × u64 fits in u128, so the exact shares are never rounded before the floor.
    let exact: Vec<u128> = weights
        .iter()
        .map(|weight| u128::from(pence) * u128::from(*weight))
        .collect();
    let mut parts: Vec<u64> = exact
        .iter()
        .map(|share| u64::try_from(share / total).expect("a part is at most the amount"))
        .collect();
    let given: u64 = parts.iter().sum();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    // Stable sort: equal remainders keep the caller's order.
    by_remainder.sort_by_key(|&index| std::cmp::Reverse(exact[index] % total));
    let left_over = usize::try_from(pence - given).expect("fewer pennies than groups");
    for &index in by_remainder.iter().take(left_over) {
        parts[index] += 1;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_proportional_when_the_amount_divides_exactly() {
        assert_eq!(by_largest_remainder(1_000, &[1, 3]), Some(vec![250, 750]));
    }

    #[test]
    fn left_over_pennies_go_to_the_largest_remainders() {
        // 100 × 1/6 = 16.67, 100 × 2/6 = 33.33, 100 × 3/6 = 50: floors 16, 33, 50 leave one
        // penny, which goes to the first (remainder 4/6 against 2/6 and 0).
        assert_eq!(
            by_largest_remainder(100, &[1, 2, 3]),
            Some(vec![17, 33, 50])
        );
    }

    #[test]
    fn equal_remainders_go_in_order() {
        assert_eq!(by_largest_remainder(1, &[5, 5, 5]), Some(vec![1, 0, 0]));
        assert_eq!(by_largest_remainder(2, &[5, 5, 5]), Some(vec![1, 1, 0]));
        assert_eq!(by_largest_remainder(4, &[7, 7, 7]), Some(vec![2, 1, 1]));
    }

    #[test]
    fn parts_always_add_up_and_stay_within_a_penny() {
        let weights = [1_820, 1_481, 0, 1_505, 1_643, 17, 2_001];
        let total: u64 = weights.iter().sum();
        for pence in [0, 1, 7, 99, 1_234_567, 100_000_000_000_000] {
            let parts = by_largest_remainder(pence, &weights).unwrap();
            assert_eq!(parts.iter().sum::<u64>(), pence);
            for (part, weight) in parts.iter().zip(weights) {
                // |part − pence × weight / total| < 1, in whole numbers.
                let scaled = i128::from(*part) * i128::from(total);
                let exact = i128::from(pence) * i128::from(weight);
                assert!(
                    (scaled - exact).abs() < i128::from(total),
                    "{part} of {pence}"
                );
            }
            assert_eq!(parts[2], 0, "no weight, no part");
        }
    }

    #[test]
    fn no_weight_gives_nothing_to_share_by() {
        assert_eq!(by_largest_remainder(100, &[]), None);
        assert_eq!(by_largest_remainder(100, &[0, 0]), None);
    }
}
