//! Placeholder so the workspace builds until the rebuild bench is written.
fn main() {}
