//! `raftkeep drill`: a disaster-recovery drill to run against production. It changes nothing
//! in the live cluster but a backup marker: an online backup, restored into a temporary
//! one-node cluster that this process runs on 127.0.0.1 with throw-away certificates, one KMIP
//! Get served by it, and every object compared with the live cluster. Exits 0 only on a pass.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use kmip_ttlv::enums::Operation;
use raftkeep_node::NodeConfig;
use raftkeep_seal::{Keyring, SealedBlob};
use raftkeep_store::{Command, Material, StateMachine, StoredObject};
use serde::Serialize;

use crate::cluster::{Connection, Target};

/// `raftkeep drill`.
#[derive(Debug, Args)]
pub struct DrillArgs {
    /// The live node to back up and compare with; its configuration (`--config`) also gives
    /// the root key the restore needs.
    #[command(flatten)]
    pub connection: Connection,
    /// Where to make the temporary directory (backup file, restored node); default: the
    /// system's temporary directory. It needs room for one backup and one copy of the store.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
    /// Keep the temporary directory afterwards, for inspection.
    #[arg(long)]
    pub keep: bool,
}

/// Objects per page when comparing.
const PAGE: u32 = 1000;
/// How long the restored node may take to elect itself.
const ELECTION: Duration = Duration::from_secs(60);
/// How many differing objects the report names.
const NAMED: usize = 20;

/// What the drill found.
#[derive(Debug, Default, Serialize)]
struct Report {
    backup_id: String,
    backup_index: Option<u64>,
    backup_ms: u128,
    backup_bytes: u64,
    backup_unix_millis: u64,
    restore_ms: u128,
    /// From starting the restored node to its first served KMIP Get.
    first_get_ms: Option<u128>,
    compare_ms: u128,
    objects_compared: u64,
    identical: u64,
    /// Objects the live cluster created or changed after the backup began.
    changed_since_backup: u64,
    differing: u64,
    differences: Vec<String>,
    pass: bool,
}

/// Runs the drill and prints its report.
pub fn run(args: &DrillArgs) -> anyhow::Result<()> {
    let path = crate::cluster::node_config_path(&args.connection)
        .context("give --config with a node's configuration: the drill needs its root key")?;
    let live = NodeConfig::load(&path)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let report = runtime.block_on(drill(args, &live))?;
    print(&report, args.connection.json)?;
    if !report.pass {
        bail!(
            "DR drill failed: {} objects differ between the restored backup and the live cluster",
            report.differing
        );
    }
    Ok(())
}

async fn drill(args: &DrillArgs, live: &NodeConfig) -> anyhow::Result<Report> {
    let base = args.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    let work = tempfile::Builder::new()
        .prefix("raftkeep-drill-")
        .tempdir_in(&base)
        .with_context(|| format!("cannot make a temporary directory in {}", base.display()))?;
    let keyring = raftkeep_node::start::load_keyring(live).await?;
    let quiet = args.connection.json;
    let mut report = Report::default();

    say(quiet, "backup: taking an online backup")?;
    let backup = work.path().join("backup.rkb");
    let created = crate::backup::create(&args.connection, &backup).await?;
    report.backup_id = created.file.header.backup_id.clone();
    report.backup_index = created.file.header.applied.map(|l| l.index);
    report.backup_ms = created.elapsed.as_millis();
    report.backup_bytes = created.file.bytes;
    report.backup_unix_millis = created.file.header.created_unix_millis;

    say(quiet, "restore: into a temporary node on 127.0.0.1")?;
    let temp = temporary_node(live, work.path())?;
    let started = Instant::now();
    let (cfg, keys, file) = (temp.clone(), keyring.clone(), backup.clone());
    tokio::task::spawn_blocking(move || {
        raftkeep_node::offline::restore(&cfg, &keys, &file, |_, _| {})
    })
    .await
    .context("the restore task failed")??;
    report.restore_ms = started.elapsed().as_millis();

    let started = Instant::now();
    let node = raftkeep_node::start(&temp).await?;
    let outcome = serve_and_compare(args, &node, &keyring, work.path(), &mut report, started).await;
    if let Err(e) = node.run_until(async {}).await {
        tracing::warn!(error = %e, "the temporary node did not stop cleanly");
    }
    outcome?;
    report.pass = report.differing == 0;
    if args.keep {
        let kept = work.keep();
        say(quiet, &format!("kept {}", kept.display()))?;
    }
    Ok(report)
}

async fn serve_and_compare(
    args: &DrillArgs,
    node: &raftkeep_node::RunningNode,
    keyring: &Keyring,
    work: &Path,
    report: &mut Report,
    started: Instant,
) -> anyhow::Result<()> {
    let quiet = args.connection.json;
    wait_leader(node).await?;
    if !node.kmip_accepting(ELECTION).await {
        anyhow::bail!("the restored node does not accept KMIP connections");
    }
    let drill_client = crate::clients::identity(&work.join("pki/drill.pem"))?;
    let fetched = first_get(node, work, &drill_client).await?;
    if let Some(object) = &fetched {
        report.first_get_ms = Some(started.elapsed().as_millis());
        say(quiet, &format!("serve: Get of {} answered", object.uid))?;
    }
    say(quiet, "compare: every object with the live cluster")?;
    let started = Instant::now();
    let target = Target::from(&args.connection)?;
    let peer = target.peer(&target.addr)?;
    let since = Since {
        // KMIP dates have whole seconds: a change in the backup's second counts as after it.
        backup_secs: i64::try_from(report.backup_unix_millis / 1000).unwrap_or(i64::MAX),
        keyring,
        fetched: fetched.as_ref(),
    };
    compare(&peer, node.node().state_machine(), &since, report).await?;
    report.compare_ms = started.elapsed().as_millis();
    Ok(())
}

/// A configuration for the temporary node: the live node's settings and root key, with its
/// own data directory, loopback listeners on free ports, and certificates from a throw-away CA.
fn temporary_node(live: &NodeConfig, work: &Path) -> anyhow::Result<NodeConfig> {
    let pki = work.join("pki");
    crate::certs::init(&crate::certs::InitArgs {
        dir: pki.clone(),
        name: "Raftkeep drill CA".to_owned(),
        days: 2,
    })?;
    let loopback = vec!["127.0.0.1".to_owned()];
    crate::certs::issue_leaf(&pki, "node", &loopback, 2, raftkeep_net::Role::Node)?;
    crate::certs::issue_leaf(&pki, "drill", &[], 2, raftkeep_net::Role::KmipClient)?;
    let any_port = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut temp = live.clone();
    temp.data_dir = work.join("node");
    temp.cluster.listen = any_port;
    temp.cluster.advertise = None;
    temp.cluster.reads_without_quorum = false;
    temp.tls.ca = pki.join("ca.pem");
    temp.tls.cert = pki.join("node.pem");
    temp.tls.key = pki.join("node.key");
    temp.monitoring = None;
    let mut kmip = live.kmip.clone().context(
        "the live node's configuration has no [kmip] section: the drill serves a Get through one",
    )?;
    kmip.listen = any_port;
    // The drill speaks TTLV; the live node's HTTPS port is the live node's.
    kmip.https_listen = None;
    kmip.cert = pki.join("node.pem");
    kmip.key = pki.join("node.key");
    kmip.audit_log = Some(work.join("audit.jsonl"));
    kmip.rate_limit = None;
    kmip.users = Vec::new();
    temp.kmip = Some(kmip);
    Ok(temp)
}

async fn wait_leader(node: &raftkeep_node::RunningNode) -> anyhow::Result<()> {
    let mut metrics = node.node().raft().metrics();
    let me = metrics.borrow().id;
    tokio::time::timeout(ELECTION, async {
        while metrics.borrow_and_update().current_leader != Some(me) {
            if metrics.changed().await.is_err() {
                break;
            }
        }
    })
    .await
    .context("the restored node did not elect itself")
}

/// A KMIP Get through the restored node's listener, as a client would do it: the drill's own
/// client is allowed and granted Get on the first object with key material (both only in the
/// temporary cluster). Returns that object as it was restored, before the Get; `None` when the
/// backup holds no key material.
async fn first_get(
    node: &raftkeep_node::RunningNode,
    work: &Path,
    drill: &raftkeep_store::ClientIdentity,
) -> anyhow::Result<Option<StoredObject>> {
    let sm = node.node().state_machine();
    let mut after: Option<String> = None;
    let object = loop {
        let page = sm.objects_after(after.as_deref(), PAGE as usize)?;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        if let Some(o) = page
            .iter()
            .find(|o| matches!(o.material, Material::Sealed(_)))
        {
            break o.clone();
        }
        after = Some(last.uid.clone());
    };
    let forwarder = node.forwarder();
    forwarder.write(Command::AllowClient(drill.clone())).await?;
    forwarder
        .write(Command::Grant {
            uid: object.uid.clone(),
            client: drill.fingerprint.clone(),
            operations: vec![Operation::GET.0],
        })
        .await?;
    let addr = node
        .kmip_addr()
        .context("the temporary node has no KMIP listener")?;
    let pki = work.join("pki");
    let config = raftkeep_client::ClientConfig::new(
        vec![addr.to_string().parse()?],
        pki.join("ca.pem"),
        pki.join("drill.pem"),
        pki.join("drill.key"),
    );
    let client = raftkeep_client::Client::new(&config)?;
    let got = client.get(&object.uid).await?;
    if got.unique_identifier.to_string() != object.uid {
        bail!(
            "the restored node answered a Get of {} with another object",
            object.uid
        );
    }
    Ok(Some(object))
}

fn say(quiet: bool, text: &str) -> anyhow::Result<()> {
    if !quiet {
        writeln!(std::io::stderr(), "{text}")?;
    }
    Ok(())
}

fn print(report: &Report, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(report)?)?;
        return Ok(());
    }
    let secs = |ms: u128| format!("{:.2} s", ms as f64 / 1000.0);
    writeln!(
        out,
        "backup   {} at log index {}: {} in {}",
        report.backup_id,
        report
            .backup_index
            .map_or("-".to_owned(), |i| i.to_string()),
        indicatif::HumanBytes(report.backup_bytes),
        secs(report.backup_ms)
    )?;
    writeln!(out, "restore  {}", secs(report.restore_ms))?;
    match report.first_get_ms {
        Some(ms) => writeln!(
            out,
            "first Get served {} after the restored node started",
            secs(ms)
        )?,
        None => writeln!(out, "first Get: none (the backup holds no key material)")?,
    }
    writeln!(
        out,
        "compare  {} objects in {}: {} identical, {} changed in the live cluster since the backup, {} differing",
        report.objects_compared,
        secs(report.compare_ms),
        report.identical,
        report.changed_since_backup,
        report.differing
    )?;
    for d in &report.differences {
        writeln!(out, "  {d}")?;
    }
    writeln!(out, "{}", if report.pass { "PASS" } else { "FAIL" })?;
    Ok(())
}

/// What a comparison needs besides the two sides.
struct Since<'a> {
    backup_secs: i64,
    keyring: &'a Keyring,
    /// The object the drill fetched, as restored: its own Get changed the temporary copy
    /// (a grant, Fresh, Last Change Date).
    fetched: Option<&'a StoredObject>,
}

/// Pages through one side's objects in UID order.
struct Pages<F> {
    fetch: F,
    page: std::collections::VecDeque<StoredObject>,
    after: Option<String>,
    done: bool,
}

impl<F, Fut> Pages<F>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Vec<StoredObject>>>,
{
    fn new(fetch: F) -> Self {
        Pages {
            fetch,
            page: std::collections::VecDeque::new(),
            after: None,
            done: false,
        }
    }

    async fn front(&mut self) -> anyhow::Result<Option<&StoredObject>> {
        if self.page.is_empty() && !self.done {
            let page = (self.fetch)(self.after.clone()).await?;
            self.done = page.is_empty();
            self.after = page.last().map(|o| o.uid.clone());
            self.page = page.into();
        }
        Ok(self.page.front())
    }

    fn pop(&mut self) -> Option<StoredObject> {
        self.page.pop_front()
    }
}

/// Merges the live node's objects with the restored ones by UID and sorts each into
/// identical, changed since the backup, or differing.
async fn compare(
    peer: &raftkeep_net::Peer,
    restored: &StateMachine,
    since: &Since<'_>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let timeout = Duration::from_secs(60);
    let mut live = Pages::new(|after: Option<String>| async move {
        Ok(peer.list_objects(after.as_deref(), PAGE, timeout).await?)
    });
    let mut rest = Pages::new(|after: Option<String>| async move {
        Ok(restored.objects_after(after.as_deref(), PAGE as usize)?)
    });
    loop {
        let l = live.front().await?.map(|o| o.uid.clone());
        let r = rest.front().await?.map(|o| o.uid.clone());
        let verdict = match (l, r) {
            (None, None) => break,
            (Some(l), Some(r)) if l == r => match (live.pop(), rest.pop()) {
                (Some(lo), Some(ro)) => judge(&lo, ro, since),
                _ => bail!("an object vanished from a page"),
            },
            (Some(l), r) if r.as_ref().is_none_or(|r| l < *r) => {
                let lo = live.pop().context("an object vanished from a page")?;
                if changed_since(&lo, since.backup_secs) {
                    Verdict::Changed
                } else {
                    Verdict::Differs(format!("{l}: in the live cluster, not in the backup"))
                }
            }
            (_, Some(r)) => {
                rest.pop();
                Verdict::Differs(format!("{r}: in the backup, not in the live cluster"))
            }
            (Some(_), None) => bail!("unreachable order of pages"),
        };
        report.objects_compared += 1;
        match verdict {
            Verdict::Same => report.identical += 1,
            Verdict::Changed => report.changed_since_backup += 1,
            Verdict::Differs(why) => {
                report.differing += 1;
                if report.differences.len() < NAMED {
                    report.differences.push(why);
                }
            }
        }
    }
    Ok(())
}

enum Verdict {
    Same,
    Changed,
    Differs(String),
}

fn judge(live: &StoredObject, restored: StoredObject, since: &Since<'_>) -> Verdict {
    let restored = match since.fetched {
        Some(before) if before.uid == restored.uid => before.clone(),
        _ => restored,
    };
    match difference(live, &restored, since.keyring) {
        None => Verdict::Same,
        Some(_) if changed_since(live, since.backup_secs) => Verdict::Changed,
        Some(what) => Verdict::Differs(format!("{}: {what} differs", live.uid)),
    }
}

/// What differs between two copies of an object; key material is compared opened, since a
/// root-key rotation after the backup re-seals it with other bytes.
fn difference(a: &StoredObject, b: &StoredObject, keyring: &Keyring) -> Option<&'static str> {
    if a.object_type != b.object_type {
        return Some("object type");
    }
    if a.state != b.state {
        return Some("state");
    }
    if a.owner != b.owner {
        return Some("owner");
    }
    if a.attributes != b.attributes {
        return Some("attributes");
    }
    if a.grants != b.grants {
        return Some("grants");
    }
    match (&a.material, &b.material) {
        (Material::Sealed(x), Material::Sealed(y)) if x == y => None,
        (Material::Sealed(x), Material::Sealed(y)) => {
            let open =
                |blob: &Vec<u8>| keyring.unseal(&a.uid, &SealedBlob::from_bytes(blob.clone()));
            match (open(x), open(y)) {
                (Ok(x), Ok(y)) if x == y => None,
                (Ok(_), Ok(_)) => Some("key material"),
                _ => Some("key material (does not open with the root key)"),
            }
        }
        (Material::Destroyed, Material::Destroyed) | (Material::None, Material::None) => None,
        _ => Some("key material"),
    }
}

/// Whether the live object was created or changed in or after the backup's second.
fn changed_since(object: &StoredObject, backup_secs: i64) -> bool {
    object
        .attributes
        .iter()
        .filter(|a| a.name == "Last Change Date" || a.name == "Initial Date")
        .filter_map(|a| kmip_ttlv::decode(&a.value, &kmip_ttlv::Limits::default()).ok())
        .any(|t| matches!(t.value, kmip_ttlv::Value::DateTime(secs) if secs >= backup_secs))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "test")]

    use raftkeep_seal::{KeyVersion, RootKey};
    use raftkeep_store::StoredAttribute;

    use super::*;

    fn keyring() -> Keyring {
        Keyring::single(RootKey::new(KeyVersion(1), [9; 32]))
    }

    fn date(name: &str, secs: i64) -> StoredAttribute {
        let value = kmip_ttlv::Ttlv::date_time(kmip_ttlv::Tag::ATTRIBUTE_VALUE, secs);
        StoredAttribute {
            name: name.into(),
            index: 0,
            value: kmip_ttlv::encode(&value).unwrap(),
        }
    }

    fn object(keys: &Keyring, material: &[u8], changed: i64) -> StoredObject {
        StoredObject {
            uid: "u1".into(),
            object_type: 2,
            state: 2,
            owner: "client".into(),
            attributes: vec![date("Initial Date", 100), date("Last Change Date", changed)],
            material: Material::Sealed(keys.seal("u1", material).unwrap().as_bytes().to_vec()),
            grants: Default::default(),
        }
    }

    fn verdict(live: &StoredObject, restored: StoredObject, keys: &Keyring) -> String {
        let since = Since {
            backup_secs: 1000,
            keyring: keys,
            fetched: None,
        };
        match judge(live, restored, &since) {
            Verdict::Same => "same".into(),
            Verdict::Changed => "changed".into(),
            Verdict::Differs(why) => why,
        }
    }

    #[test]
    fn material_resealed_after_the_backup_is_still_identical() {
        let keys = keyring();
        let live = object(&keys, b"k", 500);
        // Sealed again: other bytes (a fresh nonce, as after a rotation), same key.
        let restored = object(&keys, b"k", 500);
        assert_ne!(live.material, restored.material);
        assert_eq!(verdict(&live, restored, &keys), "same");
    }

    #[test]
    fn a_difference_is_a_failure_unless_the_live_object_changed_after_the_backup() {
        let keys = keyring();
        let restored = object(&keys, b"k", 500);
        let mut live = object(&keys, b"k", 500);
        live.state = 3;
        assert_eq!(verdict(&live, restored.clone(), &keys), "u1: state differs");
        live.attributes = vec![date("Initial Date", 100), date("Last Change Date", 1000)];
        assert_eq!(verdict(&live, restored.clone(), &keys), "changed");
        let other = object(&keys, b"other key", 500);
        assert_eq!(verdict(&other, restored, &keys), "u1: key material differs");
    }

    #[test]
    fn an_object_the_drill_fetched_is_compared_as_it_was_restored() {
        let keys = keyring();
        let live = object(&keys, b"k", 500);
        let mut touched = live.clone();
        touched
            .grants
            .insert("drill".into(), vec![Operation::GET.0]);
        let since = Since {
            backup_secs: 1000,
            keyring: &keys,
            fetched: Some(&live),
        };
        assert!(matches!(judge(&live, touched, &since), Verdict::Same));
    }
}
