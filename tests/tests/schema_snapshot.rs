//! The GraphQL SDL under review: any change to the public contract shows up as a diff of
//! `tests/snapshots/schema.graphql`. Regenerate with `UPDATE_SNAPSHOTS=1 cargo test -p
//! fundledger-tests --test schema_snapshot` and review the diff.

#[test]
fn graphql_schema_matches_the_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/schema.graphql");
    let sdl = api::server::schema::sdl();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &sdl).expect("writing the snapshot");
        return;
    }
    let kept = std::fs::read_to_string(&path)
        .expect("tests/snapshots/schema.graphql (UPDATE_SNAPSHOTS=1 makes it)");
    if kept != sdl {
        let first_difference = kept
            .lines()
            .zip(sdl.lines())
            .position(|(old, new)| old != new)
            .unwrap_or(kept.lines().count().min(sdl.lines().count()));
        panic!(
            "the GraphQL schema changed (first difference at line {}): review and run with UPDATE_SNAPSHOTS=1\n--- kept\n{}\n--- now\n{}",
            first_difference + 1,
            kept.lines().skip(first_difference).take(5).collect::<Vec<_>>().join("\n"),
            sdl.lines().skip(first_difference).take(5).collect::<Vec<_>>().join("\n"),
        );
    }
}
