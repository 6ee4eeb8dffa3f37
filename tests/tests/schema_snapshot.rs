//! The GraphQL SDL under review: any change to the public contract shows up as a diff of
//! `tests/snapshots/schema.graphql`, and the API reference `API-REFERENCE.md` at the root
//! is rendered from the same schema, so it cannot fall behind it. Regenerate both with
//! `UPDATE_SNAPSHOTS=1 cargo test -p fundledger-tests --test schema_snapshot` and review
//! the diff.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use async_graphql::parser::types::{
    FieldDefinition, InputValueDefinition, ServiceDocument, TypeDefinition, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::parser::Positioned;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Writes `text` to `path` under `UPDATE_SNAPSHOTS`, otherwise fails on any difference.
fn check_snapshot(path: &Path, text: &str) {
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, text).expect("writing the snapshot");
        return;
    }
    let kept = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("{} (UPDATE_SNAPSHOTS=1 makes it)", path.display()));
    if kept != text {
        let first_difference = kept
            .lines()
            .zip(text.lines())
            .position(|(old, new)| old != new)
            .unwrap_or(kept.lines().count().min(text.lines().count()));
        panic!(
            "{} is out of date (first difference at line {}): review and run with UPDATE_SNAPSHOTS=1\n--- kept\n{}\n--- now\n{}",
            path.display(),
            first_difference + 1,
            kept.lines().skip(first_difference).take(5).collect::<Vec<_>>().join("\n"),
            text.lines().skip(first_difference).take(5).collect::<Vec<_>>().join("\n"),
        );
    }
}

#[test]
fn graphql_schema_matches_the_snapshot() {
    check_snapshot(
        &root().join("snapshots/schema.graphql"),
        &api::server::schema::sdl(),
    );
}

#[test]
fn the_api_reference_is_rendered_from_the_schema() {
    let reference = render_reference(&api::server::schema::sdl());
    for operation in ["funds", "establishFund", "awards"] {
        assert!(
            reference.contains(&format!("### `{operation}")),
            "the reference lists {operation}"
        );
    }
    check_snapshot(&root().join("../API-REFERENCE.md"), &reference);
}

const REFERENCE_HEADER: &str = "# fundledger GraphQL API reference

Every query, mutation, subscription and type the server offers at `/graphql`, with the
descriptions the schema itself carries. Generated from the schema by
`tests/tests/schema_snapshot.rs` (`UPDATE_SNAPSHOTS=1 cargo test -p fundledger-tests --test
schema_snapshot`): do not edit by hand. Money is a string of pounds with at most 2 decimal
places; dates are `YYYY-MM-DD` (UK business dates). The figures' definitions are in
`GLOSSARY.md`; the minimum public contract, which this reference includes, is
`../shared/API.md`. An error carries `extensions.code`: `BAD_INPUT` (the message names the
field), `NOT_FOUND`, `UNAUTHENTICATED`, `FORBIDDEN`, `CONFLICT`, `CONCURRENCY`, `TIMEOUT`,
`UNAVAILABLE` (the database cannot be reached: HTTP 503 with `Retry-After`; retry then, a
write with the same `idempotencyKey`), `NEEDS_REPAIR` (writes refused until an operator
repairs the store; the message says what to run; resend later with the same idempotency
key), `THROTTLED` (too many attempts, e.g. ballot codes from one address: HTTP 429; the
message says how long to wait) or `INTERNAL`. A caller is the public (no credential), an
operator's JWT (`fundledger token`), a person's API token (`Authorization: Bearer flt_…`)
or a person's session cookie (GraphQL then needs the header `X-CSRF-Token` with the
session's CSRF token, else `FORBIDDEN`). Roles are scoped: the owner creates funds; an
officer acts on their funds; a panel member on their rounds; a member for their
organisations. `UNAUTHENTICATED` is a missing or bad credential, `FORBIDDEN` a role or
scope the caller lacks; an id of another scope and an unknown id get the same `FORBIDDEN`. A mutation that answers has committed: its payload's `projected` says
whether its object could be read yet (null until then).
";

/// Markdown for the whole schema: the three root types' fields first, then every other
/// type in name order.
fn render_reference(sdl: &str) -> String {
    let document: ServiceDocument =
        async_graphql::parser::parse_schema(sdl).expect("the server's SDL parses");
    let mut types: Vec<&TypeDefinition> = document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(definition) => Some(&definition.node),
            _ => None,
        })
        .collect();
    types.sort_by(|a, b| a.name.node.cmp(&b.name.node));
    let mut out = String::from(REFERENCE_HEADER);
    render_public_pages(&mut out);
    for (root, heading) in [
        ("Query", "Queries"),
        ("Mutation", "Mutations"),
        ("Subscription", "Subscriptions"),
    ] {
        if let Some(definition) = types.iter().find(|t| t.name.node.as_str() == root) {
            render_operations(&mut out, heading, definition);
        }
    }
    out.push_str("\n## Types\n");
    let roots = ["Query", "Mutation", "Subscription"];
    for definition in types
        .iter()
        .filter(|t| !roots.contains(&t.name.node.as_str()))
    {
        render_type(&mut out, definition);
    }
    // Blocks end with a blank line and headings start with one: keep one between them.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out
}

/// The public pages' addresses (`api::web::public::ADDRESSES`): the HTML side of the
/// same read models, for people and for tools that link to them.
fn render_public_pages(out: &mut String) {
    out.push_str(
        "\n## Public pages (HTTP)\n\nServer-rendered HTML for anyone, no sign-in, the same \
         figures as the queries below (each page reads them through this schema). Stable \
         addresses:\n\n",
    );
    for (address, what) in api::web::public::ADDRESSES {
        out.push_str(&format!("- `GET {address}`: {what}\n"));
    }
}

fn render_operations(out: &mut String, heading: &str, root: &TypeDefinition) {
    let TypeKind::Object(object) = &root.kind else {
        return;
    };
    let _ = writeln!(out, "\n## {heading}");
    for field in &object.fields {
        let field = &field.node;
        let arguments: Vec<String> = field
            .arguments
            .iter()
            .map(|argument| format!("{}: {}", argument.node.name.node, argument.node.ty.node))
            .collect();
        let arguments = if arguments.is_empty() {
            String::new()
        } else {
            format!("({})", arguments.join(", "))
        };
        let _ = writeln!(
            out,
            "\n### `{}{}: {}`{}",
            field.name.node,
            arguments,
            field.ty.node,
            deprecation(field)
        );
        write_description(out, &field.description);
        render_arguments(out, &field.arguments);
    }
}

fn render_arguments(out: &mut String, arguments: &[Positioned<InputValueDefinition>]) {
    for argument in arguments {
        let argument = &argument.node;
        let _ = writeln!(
            out,
            "- `{}: {}`{}",
            argument.name.node,
            argument.ty.node,
            one_line(&argument.description)
        );
    }
}

fn render_type(out: &mut String, definition: &TypeDefinition) {
    let name = &definition.name.node;
    let kind = match &definition.kind {
        TypeKind::Scalar => "scalar",
        TypeKind::Object(_) => "object",
        TypeKind::Interface(_) => "interface",
        TypeKind::Union(_) => "union",
        TypeKind::Enum(_) => "enum",
        TypeKind::InputObject(_) => "input",
    };
    let _ = writeln!(out, "\n### `{name}` ({kind})");
    write_description(out, &definition.description);
    match &definition.kind {
        TypeKind::Object(object) => render_fields(out, &object.fields),
        TypeKind::Interface(interface) => render_fields(out, &interface.fields),
        TypeKind::InputObject(input) => render_arguments(out, &input.fields),
        TypeKind::Enum(enumeration) => {
            for value in &enumeration.values {
                let _ = writeln!(
                    out,
                    "- `{}`{}",
                    value.node.value.node,
                    one_line(&value.node.description)
                );
            }
        }
        TypeKind::Union(union) => {
            let members: Vec<&str> = union.members.iter().map(|m| m.node.as_str()).collect();
            let _ = writeln!(out, "One of: {}.", members.join(", "));
        }
        TypeKind::Scalar => {}
    }
}

fn render_fields(out: &mut String, fields: &[Positioned<FieldDefinition>]) {
    for field in fields {
        let field = &field.node;
        let _ = writeln!(
            out,
            "- `{}: {}`{}{}",
            field.name.node,
            field.ty.node,
            deprecation(field),
            one_line(&field.description)
        );
    }
}

fn deprecation(field: &FieldDefinition) -> &'static str {
    let deprecated = field
        .directives
        .iter()
        .any(|directive| directive.node.name.node.as_str() == "deprecated");
    if deprecated {
        " (deprecated)"
    } else {
        ""
    }
}

fn write_description(out: &mut String, description: &Option<Positioned<String>>) {
    if let Some(description) = description {
        let _ = write!(out, "\n{}\n\n", description.node.trim());
    }
}

/// A description folded onto one list line: ` — text`.
fn one_line(description: &Option<Positioned<String>>) -> String {
    match description {
        Some(description) => {
            let words: Vec<&str> = description.node.split_whitespace().collect();
            format!(" — {}", words.join(" "))
        }
        None => String::new(),
    }
}
