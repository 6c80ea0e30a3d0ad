//! `docs/configuration.md` is generated from the configuration structs — their doc comments,
//! types and serde defaults, through their JSON Schema — so the reference cannot drift from
//! the code: the test fails when the file differs, and `RAFTKEEP_BLESS=1` rewrites it.

#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test")]

use std::fmt::Write as _;

use serde_json::Value;

use crate::NodeConfig;

const HEADER: &str = "# Node configuration reference\n\n\
<!-- Generated from crates/raftkeep-node/src/config.rs by the test `config_reference`; \
do not edit. Regenerate: RAFTKEEP_BLESS=1 cargo test -p raftkeep-node --lib config_reference -->\n\n\
A node reads one TOML file: `raftkeep server --config node.toml` (check it without starting: \
`--check-config`, which also opens the certificates and root key files it names; \
`--check-config --syntax-only` checks the file alone). Unknown keys are errors; relative paths are relative to the file's directory. \
An annotated example with every setting is `deploy/raftkeep.toml`; complete layouts are in \
`deploy/` (one site, two sites with a witness, a primary with a DR site, Kubernetes).\n\n\
`raftkeep server` also takes `--node-id` / `RAFTKEEP_NODE_ID` and `--advertise` / \
`RAFTKEEP_ADVERTISE`, which replace `node_id` and `cluster.advertise` (one file for every \
replica). Logs: `RAFTKEEP_LOG` sets the filter (default `info,openraft=error`), \
`--log-format json` / `RAFTKEEP_LOG_FORMAT=json` writes JSON lines (`docs/monitoring.md`).\n";

/// The reference, in Markdown.
pub(crate) fn markdown() -> String {
    let schema = serde_json::to_value(schemars::schema_for!(NodeConfig)).unwrap();
    let mut out = HEADER.to_owned();
    section(&mut out, "", &schema, &schema["$defs"]);
    out
}

/// The struct a property holds (directly, optionally, or as array items), and whether it is
/// an array of them.
fn nested<'a>(prop: &'a Value, defs: &'a Value) -> Option<(&'a Value, bool)> {
    let def = |r: &Value| {
        r.as_str()
            .and_then(|r| r.strip_prefix("#/$defs/"))
            .map(|name| &defs[name])
    };
    if let Some(d) = def(&prop["$ref"]) {
        return Some((d, false));
    }
    if let Some(d) = prop["anyOf"]
        .as_array()
        .and_then(|v| v.iter().find_map(|a| def(&a["$ref"])))
    {
        return Some((d, false));
    }
    def(&prop["items"]["$ref"]).map(|d| (d, true))
}

fn type_name(prop: &Value) -> String {
    let one = |t: &Value, p: &Value| match t.as_str() {
        Some("array") => format!("array of {}", type_name(&p["items"])),
        Some("integer") => "integer".to_owned(),
        Some(other) => other.to_owned(),
        None => "value".to_owned(),
    };
    match &prop["type"] {
        Value::Array(types) => types
            .iter()
            .filter(|t| *t != "null")
            .map(|t| one(t, prop))
            .collect::<Vec<_>>()
            .join(" or "),
        t => one(t, prop),
    }
}

fn cell(text: &str) -> String {
    text.replace("\n\n", " ")
        .replace('\n', " ")
        .replace('|', "\\|")
}

fn section(out: &mut String, path: &str, obj: &Value, defs: &Value) {
    let empty = serde_json::Map::new();
    let props = obj["properties"].as_object().unwrap_or(&empty);
    let required: Vec<&str> = obj["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let scalars: Vec<_> = props
        .iter()
        .filter(|(_, p)| nested(p, defs).is_none())
        .collect();
    if !scalars.is_empty() {
        out.push_str("\n| Key | Type | Default | Meaning |\n|---|---|---|---|\n");
        for (key, p) in scalars {
            let default = if required.contains(&key.as_str()) {
                "**required**".to_owned()
            } else {
                match &p["default"] {
                    Value::Null => "none".to_owned(),
                    d => format!("`{d}`"),
                }
            };
            let _ = writeln!(
                out,
                "| `{key}` | {} | {default} | {} |",
                type_name(p),
                cell(p["description"].as_str().unwrap_or(""))
            );
        }
    }
    for (key, p) in props {
        let Some((def, array)) = nested(p, defs) else {
            continue;
        };
        let name = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let heading = if array {
            format!("[[{name}]]")
        } else {
            format!("[{name}]")
        };
        let presence = if required.contains(&key.as_str()) {
            "Required."
        } else if array {
            "Optional, repeatable."
        } else {
            "Optional."
        };
        let _ = write!(
            out,
            "\n## `{heading}`\n\n{presence} {}\n",
            cell(p["description"].as_str().unwrap_or(""))
        );
        section(out, &name, def, defs);
    }
}

#[test]
fn config_reference_in_docs_is_generated_from_the_structs() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    let generated = markdown();
    if std::env::var_os("RAFTKEEP_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/configuration.md differs from the configuration structs; regenerate it with\n  \
         RAFTKEEP_BLESS=1 cargo test -p raftkeep-node --lib config_reference"
    );
}

#[test]
fn config_reference_lists_every_setting_and_the_example_file_shows_each() {
    let generated = markdown();
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/raftkeep.toml"),
    )
    .unwrap();
    let schema = serde_json::to_value(schemars::schema_for!(NodeConfig)).unwrap();
    let mut keys = Vec::new();
    collect_keys(&schema, &schema["$defs"], &mut keys);
    assert!(keys.len() > 30, "{keys:?}");
    for key in keys {
        // A setting is a table row; a section a heading such as `[kmip.rate_limit]`.
        assert!(
            generated.contains(&format!("| `{key}` |"))
                || generated.contains(&format!("{key}]`"))
                || generated.contains(&format!("{key}]]`")),
            "{key} missing"
        );
        let shown = example.lines().any(|l| {
            let l = l.trim_start().trim_start_matches('#').trim_start();
            l.starts_with(&format!("{key} ="))
                || l.starts_with(&format!("[{key}]"))
                || l.starts_with(&format!("[[{key}]]"))
                || l.contains(&format!(".{key}]"))
        });
        assert!(shown, "deploy/raftkeep.toml does not show `{key}`");
    }
}

fn collect_keys(obj: &Value, defs: &Value, out: &mut Vec<String>) {
    let Some(props) = obj["properties"].as_object() else {
        return;
    };
    for (key, p) in props {
        out.push(key.clone());
        if let Some((def, _)) = nested(p, defs) {
            collect_keys(def, defs, out);
        }
    }
}
