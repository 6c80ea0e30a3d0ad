//! `raftkeep keys`: key management for people over KMIP, through the client library's
//! failover — create, register, get, list, locate, attrs, activate, revoke, destroy, rekey.
//! Human-readable output by default, `--json` for scripts; `--verbose` shows every attempt
//! on every server as it happens.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kmip_messages::object::{KeyBlock, KeyMaterial, KeyValue};
use kmip_messages::{Attribute, AttributeName, Attributes, ManagedObject, RevocationReason};
use kmip_ttlv::enums::{
    CryptographicAlgorithm, CryptographicUsageMask, KeyFormatType, NameType, ObjectType,
    RevocationReasonCode, State,
};
use kmip_ttlv::{ByteString, Tag, Ttlv, Value};
use raftkeep_client::Client;
use serde_json::json;

use crate::connect::ConnectArgs;

/// `raftkeep keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// How to reach the cluster.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Print results as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Show every attempt on every server (tracing events on stderr).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: KeysCommand,
}

/// The key commands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a symmetric key; prints its Unique Identifier.
    Create(CreateArgs),
    /// Register a symmetric key you bring (raw bytes or hex from a file).
    Register(RegisterArgs),
    /// Show an object and, on request, its key material.
    Get(GetArgs),
    /// List the objects this client may see, with state and name.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        max: i32,
    },
    /// Find objects by name, state, type or custom attribute; prints their identifiers.
    Locate(LocateArgs),
    /// Show an object's attributes (all, or the ones named).
    Attrs {
        /// The object.
        uid: String,
        /// Attribute names, e.g. "State" "Cryptographic Length".
        names: Vec<String>,
    },
    /// Activate an object (Pre-Active → Active).
    Activate {
        /// The object.
        uid: String,
    },
    /// Revoke an object.
    Revoke {
        /// The object.
        uid: String,
        /// Why: unspecified, key-compromise, affiliation-changed, superseded,
        /// cessation-of-operation, privilege-withdrawn.
        #[arg(long, default_value = "unspecified")]
        reason: String,
        /// Free text recorded with the reason.
        #[arg(long)]
        message: Option<String>,
    },
    /// Destroy an object's key material (its metadata stays).
    Destroy {
        /// The object.
        uid: String,
    },
    /// Replace a symmetric key by a new one linked to it; prints the new identifier.
    Rekey {
        /// The key to replace.
        uid: String,
    },
}

/// `raftkeep keys create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Algorithm: AES, 3DES, HMAC-SHA256, ChaCha20, ...
    #[arg(long, default_value = "AES")]
    pub algorithm: String,
    /// Length in bits.
    #[arg(long, default_value_t = 256)]
    pub length: i32,
    /// Name, usage, custom attributes.
    #[command(flatten)]
    pub attributes: KeyAttributeArgs,
    /// Activate the key at once.
    #[arg(long)]
    pub activate: bool,
}

/// `raftkeep keys register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// File with the key: raw bytes, or hex with --hex.
    #[arg(long)]
    pub file: PathBuf,
    /// The file holds hex digits, not raw bytes.
    #[arg(long)]
    pub hex: bool,
    /// Algorithm of the key.
    #[arg(long, default_value = "AES")]
    pub algorithm: String,
    /// Name, usage, custom attributes.
    #[command(flatten)]
    pub attributes: KeyAttributeArgs,
}

/// The attributes a new key gets from the command line.
#[derive(Debug, Args)]
pub struct KeyAttributeArgs {
    /// A Name for the key (unique in the cluster).
    #[arg(long)]
    pub name: Option<String>,
    /// Cryptographic usage, comma-separated: encrypt, decrypt, wrap-key, unwrap-key, mac-generate, ...
    #[arg(long, default_value = "encrypt,decrypt")]
    pub usage: String,
    /// A custom attribute, x-NAME=TEXT (repeat for several).
    #[arg(long = "attr")]
    pub attrs: Vec<String>,
}

/// `raftkeep keys get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The object.
    pub uid: String,
    /// Write the key material (raw bytes) to this new file, mode 0600.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the key material in hex.
    #[arg(long)]
    pub reveal: bool,
}

/// `raftkeep keys locate`.
#[derive(Debug, Args)]
pub struct LocateArgs {
    /// Name.
    #[arg(long)]
    pub name: Option<String>,
    /// State: pre-active, active, deactivated, compromised, destroyed, destroyed-compromised.
    #[arg(long)]
    pub state: Option<String>,
    /// Object type: symmetric-key, secret-data, certificate, ...
    #[arg(long = "type")]
    pub object_type: Option<String>,
    /// Custom attribute, x-NAME=TEXT (repeat for several).
    #[arg(long = "attr")]
    pub attrs: Vec<String>,
    /// At most this many.
    #[arg(long)]
    pub max: Option<i32>,
}

/// How long `raftkeep keys` goes on trying when the servers say they cannot serve now:
/// longer than an election, as long as a write may wait for a leader (`write_timeout_ms`).
const UNAVAILABLE_WAIT: std::time::Duration = std::time::Duration::from_secs(6);

/// Runs a `raftkeep keys` command.
pub fn run(args: KeysArgs) -> anyhow::Result<()> {
    if args.verbose {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("raftkeep_client=debug"))
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init();
    }
    let config = args.connect.client_config()?;
    // A person would rather wait out an election (a second or two) than be told no.
    let client = Client::new(&config)?.waiting_out_unavailable(UNAVAILABLE_WAIT);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let out = Output { json: args.json };
    runtime.block_on(dispatch(&client, args.command, &out))
}

async fn dispatch(client: &Client, command: KeysCommand, out: &Output) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create(a) => create(client, a, out).await,
        KeysCommand::Register(a) => register(client, a, out).await,
        KeysCommand::Get(a) => get(client, a, out).await,
        KeysCommand::List { max } => list(client, max, out).await,
        KeysCommand::Locate(a) => locate(client, a, out).await,
        KeysCommand::Attrs { uid, names } => attrs(client, &uid, names, out).await,
        KeysCommand::Activate { uid } => {
            client.activate(&uid).await?;
            out.done(&uid, "activated")
        }
        KeysCommand::Revoke {
            uid,
            reason,
            message,
        } => {
            let code = enum_arg(&reason, RevocationReasonCode::from_name)
                .with_context(|| format!("unknown revocation reason {reason:?}"))?;
            client
                .revoke(&uid, RevocationReason { code, message })
                .await?;
            out.done(&uid, "revoked")
        }
        KeysCommand::Destroy { uid } => {
            client.destroy(&uid).await?;
            out.done(&uid, "destroyed (key material shredded on every node)")
        }
        KeysCommand::Rekey { uid } => {
            let new = client.rekey(&uid).await?;
            out.created(&new, &format!("replaces {uid}"))
        }
    }
}

async fn create(client: &Client, a: CreateArgs, out: &Output) -> anyhow::Result<()> {
    let algorithm = enum_arg(&a.algorithm, CryptographicAlgorithm::from_name)
        .with_context(|| format!("unknown algorithm {:?}", a.algorithm))?;
    let attributes = common_attributes(&a.attributes)?;
    let uid = client
        .create_symmetric_key(algorithm, a.length, attributes)
        .await?;
    if a.activate {
        client.activate(&uid).await?;
    }
    let state = if a.activate { "Active" } else { "Pre-Active" };
    out.created(&uid, &format!("{algorithm}-{} key, {state}", a.length))
}

async fn register(client: &Client, a: RegisterArgs, out: &Output) -> anyhow::Result<()> {
    let algorithm = enum_arg(&a.algorithm, CryptographicAlgorithm::from_name)
        .with_context(|| format!("unknown algorithm {:?}", a.algorithm))?;
    let raw = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let bytes = if a.hex {
        let text = String::from_utf8(raw).context("the --hex file is not text")?;
        hex::decode(text.trim()).context("the --hex file does not hold hex digits")?
    } else {
        raw
    };
    let length = i32::try_from(bytes.len() * 8).context("key too long")?;
    let object = ManagedObject::SymmetricKey(KeyBlock {
        key_format_type: KeyFormatType::RAW,
        key_compression_type: None,
        key_value: Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(ByteString::new(bytes)),
            attributes: Attributes::default(),
        }),
        cryptographic_algorithm: Some(algorithm),
        cryptographic_length: Some(length),
        key_wrapping_data: None,
    });
    let attributes = common_attributes(&a.attributes)?;
    let uid = client.register(object, attributes).await?;
    out.created(&uid, &format!("{algorithm}-{length} key registered"))
}

async fn get(client: &Client, a: GetArgs, out: &Output) -> anyhow::Result<()> {
    let got = client.get(&a.uid).await?;
    let (block, kind) = match &got.object {
        ManagedObject::SymmetricKey(b)
        | ManagedObject::PublicKey(b)
        | ManagedObject::PrivateKey(b) => (Some(b), type_name(got.object_type)),
        ManagedObject::SecretData { key_block, .. } => {
            (Some(key_block), type_name(got.object_type))
        }
        _ => (None, type_name(got.object_type)),
    };
    let material = block.and_then(|b| match &b.key_value {
        Some(KeyValue::Plain {
            key_material: KeyMaterial::Bytes(bytes),
            ..
        }) => Some(bytes.as_slice().to_vec()),
        _ => None,
    });
    if let (Some(path), Some(bytes)) = (&a.out, &material) {
        crate::certs::write_new(path, bytes, true)?;
    }
    let algorithm = block
        .and_then(|b| b.cryptographic_algorithm)
        .map(|x| x.to_string());
    let length = block.and_then(|b| b.cryptographic_length);
    let revealed = if a.reveal {
        material.as_ref().map(hex::encode)
    } else {
        None
    };
    if out.json {
        return out.line(
            &json!({
                "uid": a.uid, "object_type": kind, "algorithm": algorithm, "length": length,
                "material_bytes": material.as_ref().map(Vec::len), "material_hex": revealed,
                "written_to": a.out,
            })
            .to_string(),
        );
    }
    out.line(&format!(
        "{}  {kind}  {}  {} bits",
        a.uid,
        algorithm.unwrap_or_default(),
        length.unwrap_or_default()
    ))?;
    match (&material, &revealed, &a.out) {
        (_, Some(hex), _) => out.line(&format!("material: {hex}")),
        (Some(_), None, Some(path)) => out.line(&format!("material written to {}", path.display())),
        (Some(m), None, None) => out.line(&format!(
            "material: {} bytes (--reveal prints it, --out FILE writes it)",
            m.len()
        )),
        (None, _, _) => out.line("material: not returned as raw bytes"),
    }
}

async fn list(client: &Client, max: i32, out: &Output) -> anyhow::Result<()> {
    let uids = client.locate(Vec::new(), Some(max)).await?;
    let wanted = [
        "Object Type",
        "State",
        "Name",
        "Cryptographic Algorithm",
        "Cryptographic Length",
    ];
    let mut rows = Vec::new();
    for uid in uids {
        let names = wanted.iter().map(|n| AttributeName::new(*n)).collect();
        let attributes = client.get_attributes(&uid, names).await?;
        let show = |n: &str| attributes.get(n).map(shown).unwrap_or_default();
        let name = attributes
            .get("Name")
            .and_then(name_text)
            .unwrap_or_default();
        rows.push((
            uid,
            show("Object Type"),
            show("State"),
            format!(
                "{}-{}",
                show("Cryptographic Algorithm"),
                show("Cryptographic Length")
            ),
            name,
        ));
    }
    if out.json {
        let items: Vec<_> = rows
            .iter()
            .map(|(uid, t, s, alg, name)| json!({"uid": uid, "object_type": t, "state": s, "algorithm": alg, "name": name}))
            .collect();
        return out.line(&serde_json::Value::Array(items).to_string());
    }
    if rows.is_empty() {
        return out.line("no objects");
    }
    for (uid, t, s, alg, name) in rows {
        out.line(&format!("{uid:36}  {t:14}  {s:12}  {alg:10}  {name}"))?;
    }
    Ok(())
}

async fn locate(client: &Client, a: LocateArgs, out: &Output) -> anyhow::Result<()> {
    let mut criteria = Vec::new();
    if let Some(n) = &a.name {
        criteria.push(name_attribute(n));
    }
    if let Some(s) = &a.state {
        let state =
            enum_arg(s, State::from_name).with_context(|| format!("unknown state {s:?}"))?;
        criteria.push(Attribute::new("State", Value::Enumeration(state.0)));
    }
    if let Some(t) = &a.object_type {
        let ty = enum_arg(t, ObjectType::from_name)
            .with_context(|| format!("unknown object type {t:?}"))?;
        criteria.push(Attribute::new("Object Type", Value::Enumeration(ty.0)));
    }
    criteria.extend(custom_attributes(&a.attrs)?);
    let uids = client.locate(criteria, a.max).await?;
    if out.json {
        return out.line(&json!(uids).to_string());
    }
    for uid in uids {
        out.line(&uid)?;
    }
    Ok(())
}

async fn attrs(client: &Client, uid: &str, names: Vec<String>, out: &Output) -> anyhow::Result<()> {
    let names = names.into_iter().map(AttributeName::new).collect();
    let attributes = client.get_attributes(uid, names).await?;
    if out.json {
        let items: Vec<_> = attributes
            .0
            .iter()
            .map(|a| json!({"name": a.name.as_str(), "value": shown(a)}))
            .collect();
        return out.line(&serde_json::Value::Array(items).to_string());
    }
    for a in &attributes.0 {
        out.line(&format!("{}: {}", a.name.as_str(), shown(a)))?;
    }
    Ok(())
}

/// Name, Cryptographic Usage Mask and custom attributes from the command line.
fn common_attributes(args: &KeyAttributeArgs) -> anyhow::Result<Vec<Attribute>> {
    let (name, usage, custom) = (args.name.as_deref(), &args.usage, &args.attrs);
    let mut out = Vec::new();
    let mut mask = 0_i32;
    for u in usage.split(',').map(str::trim).filter(|u| !u.is_empty()) {
        let flag = enum_arg(u, |n| {
            CryptographicUsageMask::table()
                .value_of(n)
                .map(CryptographicUsageMask)
        })
        .with_context(|| format!("unknown usage {u:?}"))?;
        mask |= flag.to_i32();
    }
    if mask != 0 {
        out.push(Attribute::new(
            "Cryptographic Usage Mask",
            Value::Integer(mask),
        ));
    }
    if let Some(n) = name {
        out.push(name_attribute(n));
    }
    out.extend(custom_attributes(custom)?);
    Ok(out)
}

fn custom_attributes(custom: &[String]) -> anyhow::Result<Vec<Attribute>> {
    custom
        .iter()
        .map(|c| {
            let Some((name, value)) = c.split_once('=') else {
                bail!("--attr {c:?}: expected x-NAME=TEXT");
            };
            if !name.starts_with("x-") {
                bail!("--attr {c:?}: custom attribute names start with x-");
            }
            Ok(Attribute::new(name, Value::TextString(value.to_owned())))
        })
        .collect()
}

fn name_attribute(name: &str) -> Attribute {
    Attribute::new(
        "Name",
        Value::Structure(vec![
            Ttlv::text(Tag::NAME_VALUE, name.to_owned()),
            Ttlv::enumeration(Tag::NAME_TYPE, NameType::UNINTERPRETED_TEXT_STRING.0),
        ]),
    )
}

fn name_text(a: &Attribute) -> Option<String> {
    match &a.value {
        Value::Structure(items) => items.iter().find_map(|i| match (&i.tag, &i.value) {
            (&Tag::NAME_VALUE, Value::TextString(s)) => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    }
}

fn type_name(t: ObjectType) -> String {
    t.spec_name().map_or_else(|| t.to_string(), str::to_owned)
}

fn shown(a: &Attribute) -> String {
    kmip_text::attribute_value_text(a.name.as_str(), &a.value)
}

/// An enumeration value from what a person types: "AES", "aes", "key-compromise",
/// "Pre-Active", "pre_active", "symmetric-key".
fn enum_arg<T>(text: &str, from_name: impl Fn(&str) -> Option<T>) -> Option<T> {
    let camel: String = text
        .split(['-', '_', ' '])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| {
                    f.to_uppercase()
                        .chain(c.flat_map(char::to_lowercase))
                        .collect::<String>()
                })
                .unwrap_or_default()
        })
        .collect();
    from_name(text)
        .or_else(|| from_name(&text.to_uppercase()))
        .or_else(|| from_name(&camel))
}

/// Where results go: stdout, as text or JSON.
#[derive(Debug)]
struct Output {
    json: bool,
}

impl Output {
    fn line(&self, text: &str) -> anyhow::Result<()> {
        writeln!(std::io::stdout(), "{text}")?;
        Ok(())
    }

    /// A new object: its UID alone on stdout (`UID=$(raftkeep keys create ...)`), what it is
    /// on stderr.
    fn created(&self, uid: &str, what: &str) -> anyhow::Result<()> {
        if self.json {
            return self.line(&json!({"uid": uid, "what": what}).to_string());
        }
        writeln!(std::io::stderr(), "created {uid} ({what})")?;
        self.line(uid)
    }

    fn done(&self, uid: &str, what: &str) -> anyhow::Result<()> {
        if self.json {
            return self.line(&json!({"uid": uid, "result": what}).to_string());
        }
        self.line(&format!("{uid} {what}"))
    }
}
