//! Generates the KMIP tag, enumeration and mask registry from the specification tables in
//! `registry/*.json` (KMIP 1.4 §9.1.3, the KMIP 2.0 additions, and the few KMIP 2.1 values the
//! 2.1 profile test cases use). Nothing in `src/registry` is typed by hand.
//!
//! Output: `$OUT_DIR/registry.rs` (tag constants and lookup tables, included by
//! `src/registry.rs`) and `$OUT_DIR/enums.rs` (one open newtype per enumeration and mask,
//! included by `src/enums.rs`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The tables, each with the version whose specification holds them: what a later file adds
/// was first defined in that version (the 1.4 tables hold everything KMIP 1.0–1.4 defined).
const FILES: [(&str, Since); 3] = [
    ("registry/kmip_1_4.json", (1, 4)),
    ("registry/kmip_2_0_additions.json", (2, 0)),
    ("registry/kmip_2_1_additions.json", (2, 1)),
];

/// A protocol version (major, minor).
type Since = (u8, u8);

/// One enumeration or mask table, merged across the files.
struct Table {
    spec_name: String,
    comment: String,
    is_mask: bool,
    /// value -> spec name
    values: BTreeMap<u32, String>,
    /// value -> the first file's version that defines it
    since: BTreeMap<u32, Since>,
    tags: Vec<String>,
}

fn main() -> Result<(), String> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let mut tags = Tags::new();
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for (file, since) in FILES {
        println!("cargo::rerun-if-changed={file}");
        load(&root.join(file), since, &mut tags, &mut tables)?;
    }
    let (registry, enums) = generate(&tags, &tables)?;
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    std::fs::write(out.join("registry.rs"), registry).map_err(|e| e.to_string())?;
    std::fs::write(out.join("enums.rs"), enums).map_err(|e| e.to_string())
}

/// value -> (spec name, the first file's version that defines it)
type Tags = BTreeMap<u32, (String, Since)>;

fn load(
    path: &Path,
    since: Since,
    tags: &mut Tags,
    tables: &mut BTreeMap<String, Table>,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(map) = doc.get("tags").and_then(|t| t.as_object()) {
        for (name, value) in map {
            let value = number(value)?;
            // The specification's own table writes "Compromise  Date" with two spaces.
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            let first = tags.get(&value).map_or(since, |(_, s)| *s);
            if let Some((old, _)) = tags.insert(value, (name.clone(), first))
                && old != name
            {
                return Err(format!("tag {value:#08x} named both {old:?} and {name:?}"));
            }
        }
    }
    for (key, is_mask) in [("enums", false), ("masks", true)] {
        let Some(list) = doc.get(key).and_then(|l| l.as_array()) else {
            continue;
        };
        for entry in list {
            let name = entry["name"]
                .as_str()
                .ok_or("table without a name")?
                .to_string();
            let table = tables.entry(name.clone()).or_insert_with(|| Table {
                spec_name: name.clone(),
                comment: String::new(),
                is_mask,
                values: BTreeMap::new(),
                since: BTreeMap::new(),
                tags: Vec::new(),
            });
            if let Some(c) = entry.get("comment").and_then(|c| c.as_str())
                && table.comment.is_empty()
            {
                table.comment = c.to_string();
            }
            for tag in entry["tags"].as_array().ok_or("table without tags")? {
                let tag = tag.as_str().ok_or("tag name must be a string")?.to_string();
                if !table.tags.contains(&tag) {
                    table.tags.push(tag);
                }
            }
            if let Some(values) = entry.get("values").and_then(|v| v.as_object()) {
                for (vname, v) in values {
                    let v = number(v)?;
                    table.since.entry(v).or_insert(since);
                    if let Some(old) = table.values.insert(v, vname.clone())
                        && old != *vname
                    {
                        return Err(format!("{name}: {v:#x} named both {old:?} and {vname:?}"));
                    }
                }
            }
        }
    }
    Ok(())
}

fn number(v: &serde_json::Value) -> Result<u32, String> {
    if let Some(n) = v.as_u64() {
        return u32::try_from(n).map_err(|e| e.to_string());
    }
    let s = v.as_str().ok_or_else(|| format!("not a number: {v}"))?;
    let hex = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("not a hex number: {s}"))?;
    u32::from_str_radix(hex, 16).map_err(|e| format!("{s}: {e}"))
}

/// The KMIP Profiles name normalization (KMIP Profiles 1.4 §5.4.1.1 / §5.5.1.1) that turns a
/// specification name ("Pre-Active", "SHA-256", "3DES") into its XML/JSON form
/// ("PreActive", "SHA_256", "DES3"). Kept in step with `normalize_name` in `src/registry.rs`.
fn normalize(s: &str) -> String {
    let chars: Vec<char> = s
        .chars()
        .map(|c| if c == '(' || c == ')' { ' ' } else { c })
        .collect();
    let mut spaced = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let next = chars.get(i + 1).copied();
        let after = chars.get(i + 2).copied();
        if !word(c) && c != ' ' {
            let boundary = next.is_some_and(|n| n.is_ascii_alphabetic())
                && after.is_some_and(|a| a.is_ascii_lowercase());
            spaced.push(if boundary { ' ' } else { '_' });
        } else {
            spaced.push(c);
        }
    }
    let mut out = String::new();
    for (i, w) in spaced.split(' ').enumerate() {
        let w = if i == 0 {
            let digits: String = w.chars().take_while(char::is_ascii_digit).collect();
            format!("{}{}", &w[digits.len()..], digits)
        } else {
            w.to_string()
        };
        let mut cs = w.chars();
        if let Some(f) = cs.next() {
            out.push(f.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    out
}

/// A Rust constant name: "SHA-256" -> SHA_256, "3DES" -> DES3.
fn const_name(spec: &str) -> String {
    let mut s = String::new();
    for c in spec.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_uppercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').to_string();
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        s
    } else {
        format!("{}{}", s[digits.len()..].trim_start_matches('_'), digits)
    }
}

/// A Rust type name: "PKCS#11 Function" -> Pkcs11Function.
fn type_name(spec: &str) -> String {
    spec.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = if w.chars().all(|c| !c.is_ascii_lowercase()) {
                w.to_ascii_lowercase()
            } else {
                w.to_string()
            };
            let mut cs = lower.chars();
            cs.next()
                .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn generate(tags: &Tags, tables: &BTreeMap<String, Table>) -> Result<(String, String), String> {
    let mut o = String::new();
    let mut e = String::new();
    let by_spec: BTreeMap<&str, u32> = tags.iter().map(|(v, (n, _))| (n.as_str(), *v)).collect();

    // Tag constants.
    o.push_str("impl Tag {\n");
    let mut seen = BTreeMap::new();
    for (v, (name, _)) in tags {
        let c = const_name(name);
        if let Some(prev) = seen.insert(c.clone(), name) {
            return Err(format!("tags {prev:?} and {name:?} share constant {c}"));
        }
        writeln!(o, "    /// {name}\n    pub const {c}: Tag = Tag({v:#08X});")
            .map_err(|e| e.to_string())?;
    }
    o.push_str("}\n\n");

    // Tag table sorted by value, and by normalized name.
    o.push_str("pub(crate) static TAGS: &[TagEntry] = &[\n");
    for (v, (name, since)) in tags {
        writeln!(
            o,
            "    TagEntry {{ tag: Tag({v:#08X}), name: {:?}, spec_name: {name:?}, since: {since:?} }},",
            normalize(name)
        )
        .map_err(|e| e.to_string())?;
    }
    o.push_str("];\n\n");
    let mut names: Vec<(String, u32)> = tags.iter().map(|(v, (n, _))| (normalize(n), *v)).collect();
    names.sort();
    for pair in names.windows(2) {
        if let [a, b] = pair
            && a.0 == b.0
        {
            return Err(format!("normalized tag name {} is ambiguous", a.0));
        }
    }
    o.push_str("pub(crate) static TAGS_BY_NAME: &[(&str, Tag)] = &[\n");
    for (n, v) in &names {
        writeln!(o, "    ({n:?}, Tag({v:#08X})),").map_err(|e| e.to_string())?;
    }
    o.push_str("];\n\n");

    // Enumeration and mask tables, with one open newtype each.
    let mut tag_tables: Vec<(u32, String)> = Vec::new();
    for table in tables.values() {
        let ty = type_name(&table.spec_name);
        let statik = const_name(&table.spec_name);
        let mut by_name: Vec<(String, u32)> = table
            .values
            .iter()
            .map(|(v, n)| (normalize(n), *v))
            .collect();
        by_name.sort();
        writeln!(o, "pub(crate) static {statik}: EnumDef = EnumDef {{\n    spec_name: {:?},\n    is_mask: {},\n    values: &[", table.spec_name, table.is_mask).map_err(|e| e.to_string())?;
        for (v, n) in &table.values {
            let since = table.since.get(v).copied().unwrap_or((1, 4));
            writeln!(
                o,
                "        EnumEntry {{ value: {v:#010X}, name: {:?}, spec_name: {n:?}, since: {since:?} }},",
                normalize(n)
            )
            .map_err(|e| e.to_string())?;
        }
        o.push_str("    ],\n    by_name: &[\n");
        for (n, v) in &by_name {
            writeln!(o, "        ({n:?}, {v:#010X}),").map_err(|e| e.to_string())?;
        }
        o.push_str("    ],\n};\n\n");
        let kind = if table.is_mask {
            "open_mask!"
        } else {
            "open_enum!"
        };
        writeln!(
            e,
            "{kind} {{\n    /// {} ({})\n    {ty}, {statik}, [",
            table.spec_name, table.comment
        )
        .map_err(|e| e.to_string())?;
        let mut consts = BTreeMap::new();
        for (v, n) in &table.values {
            let c = const_name(n);
            if consts.insert(c.clone(), n).is_some() {
                return Err(format!(
                    "{}: two values share constant {c}",
                    table.spec_name
                ));
            }
            writeln!(e, "        ({c}, {v:#010X}, {n:?}),").map_err(|e| e.to_string())?;
        }
        e.push_str("    ]\n}\n\n");
        for tag in &table.tags {
            // The 2.0 table lists the Link structure beside Unique Identifier; a structure has
            // no enumeration value, so only the leaf tags get the table.
            if tag == "Link" {
                continue;
            }
            let t = by_spec
                .get(tag.as_str())
                .ok_or_else(|| format!("table {} names unknown tag {tag:?}", table.spec_name))?;
            tag_tables.push((*t, statik.clone()));
        }
    }
    tag_tables.sort();
    o.push_str("pub(crate) static TAG_TABLES: &[(Tag, &EnumDef)] = &[\n");
    for (t, s) in &tag_tables {
        writeln!(o, "    (Tag({t:#08X}), &{s}),").map_err(|e| e.to_string())?;
    }
    o.push_str("];\n");
    Ok((o, e))
}
