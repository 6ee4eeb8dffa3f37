//! Given/when/then tests of the application's rules.
