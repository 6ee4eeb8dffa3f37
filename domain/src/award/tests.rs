//! Given/when/then tests of the award's rules.
