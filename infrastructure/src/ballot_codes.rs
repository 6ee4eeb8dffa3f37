//! Ballot codes: made here, outside the pure domain, and handed to it only as hashes.
//!
//! A code is 16 Crockford base32 characters (80 random bits) shown as `XXXX-XXXX-XXXX-XXXX`.
//! Its hash is `SHA-256("fundledger-ballot-v1:" || round id || ":" || normalised code)`:
//! bound to its round (a code of one round is just a wrong code in another), and with 80
//! bits behind it the hash in the log can't be turned back into a usable code.

use domain::ballot::BallotCodeHash;
use domain::RoundId;
use sha2::{Digest, Sha256};

/// Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or copied by hand
/// survives.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code (5 bits each: 80 bits).
pub const BALLOT_CODE_CHARS: usize = 16;
/// Bytes of randomness behind a code.
const CODE_BYTES: usize = BALLOT_CODE_CHARS * 5 / 8;

/// A new code from the operating system's randomness.
pub fn random_code() -> String {
    // uuid's v4 comes from the OS generator (getrandom); 10 of its random bytes suffice.
    let mut bytes = [0u8; CODE_BYTES];
    bytes.copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..CODE_BYTES]);
    let more = uuid::Uuid::new_v4();
    // Byte 6 and 8 of a v4 uuid carry version and variant bits; mix in a second uuid so
    // every byte of the code is fully random.
    bytes[6] ^= more.as_bytes()[0];
    bytes[8] ^= more.as_bytes()[1];
    encode(&bytes)
}

/// A code derived from `seed` and `index`: for the demo only, which must be rerunnable.
pub fn derived_code(seed: &str, index: usize) -> String {
    let digest = Sha256::digest(format!("{seed}:{index}").as_bytes());
    let mut bytes = [0u8; CODE_BYTES];
    bytes.copy_from_slice(&digest[..CODE_BYTES]);
    encode(&bytes)
}

fn encode(bytes: &[u8; CODE_BYTES]) -> String {
    let mut bits: u128 = 0;
    for byte in bytes {
        bits = (bits << 8) | u128::from(*byte);
    }
    let mut code = String::with_capacity(BALLOT_CODE_CHARS + 3);
    for index in 0..BALLOT_CODE_CHARS {
        if index > 0 && index % 4 == 0 {
            code.push('-');
        }
        let shift = 5 * (BALLOT_CODE_CHARS - 1 - index);
        code.push(ALPHABET[((bits >> shift) & 0x1f) as usize] as char);
    }
    code
}

/// The code as typed, in canonical form: case, spaces and dashes ignored, and the letters
/// Crockford reads as digits (I and L as 1, O as 0) mapped to them.
pub fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect()
}

/// The hash a ballot code is known by in round `round`.
pub fn hash_code(round: &RoundId, code: &str) -> BallotCodeHash {
    let digest = Sha256::digest(
        format!(
            "fundledger-ballot-v1:{}:{}",
            round.as_str(),
            normalise(code)
        )
        .as_bytes(),
    );
    BallotCodeHash::parse(&hex::encode(digest)).expect("a SHA-256 digest is 64 hex digits")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_crockford_characters_in_groups_of_four() {
        let code = random_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3);
        assert!(normalise(&code)
            .bytes()
            .all(|byte| ALPHABET.contains(&byte)));
        assert_ne!(random_code(), code, "two codes in a row should differ");
    }

    #[test]
    fn a_code_hashes_the_same_however_it_is_typed() {
        let round = RoundId::new("RND-1");
        let code = derived_code("seed", 1);
        let typed = code.to_lowercase().replace('-', " ").replace('1', "l");
        assert_eq!(hash_code(&round, &typed), hash_code(&round, &code));
    }

    #[test]
    fn the_same_code_hashes_differently_in_another_round() {
        let code = derived_code("seed", 1);
        assert_ne!(
            hash_code(&RoundId::new("RND-1"), &code),
            hash_code(&RoundId::new("RND-2"), &code)
        );
    }

    #[test]
    fn derived_codes_are_stable() {
        assert_eq!(derived_code("seed", 7), derived_code("seed", 7));
        assert_ne!(derived_code("seed", 7), derived_code("seed", 8));
    }
}
