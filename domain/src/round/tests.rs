//! Given/when/then tests of the round's rules.
