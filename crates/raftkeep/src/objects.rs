//! `raftkeep objects`: every object of the cluster as an operator sees it — who owns what —
//! and the bulk move of objects from one client identity to another (a vCenter rebuilt with a
//! new certificate, objects created before identities under a fingerprint), recorded in the
//! replicated store with who did it.

use std::io::Write as _;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kmip_ttlv::enums::{ObjectType, State};
use raftkeep_store::{Command, CommandResult, OwnershipMove, StoredObject};

use crate::cluster::{Connection, Target};

/// How many objects one page (one read, one move command) holds.
const PAGE: u32 = 1000;

/// `raftkeep objects`.
#[derive(Debug, Args)]
pub struct ObjectsArgs {
    /// Connection settings (as for `raftkeep cluster`).
    #[command(flatten)]
    pub connection: Connection,
    /// What to do.
    #[command(subcommand)]
    pub command: ObjectsCommand,
}

/// The objects subcommands.
#[derive(Debug, Subcommand)]
pub enum ObjectsCommand {
    /// List every object: UID, type, state, owner, names (metadata only, never material).
    List {
        /// Only the objects this client identity owns.
        #[arg(long)]
        owner: Option<String>,
    },
    /// Give every object one client identity owns to another, with its grants. Recorded
    /// (`raftkeep objects moves`).
    Move {
        /// The identity that owns the objects now (a name, or a fingerprint for objects
        /// created before identities).
        #[arg(long)]
        from: String,
        /// The identity that will own them; it must be in the allow-list.
        #[arg(long)]
        to: String,
        /// Count what would move, move nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The recorded moves: when, by whom, from and to which identity, how many objects.
    Moves,
}

/// One object as listed.
#[derive(Debug, serde::Serialize)]
struct Listed {
    uid: String,
    object_type: String,
    state: String,
    owner: String,
    names: Vec<String>,
}

impl Listed {
    fn of(o: &StoredObject) -> Self {
        Listed {
            uid: o.uid.clone(),
            object_type: ObjectType(o.object_type).to_string(),
            state: State(o.state).to_string(),
            owner: o.owner.clone(),
            names: o
                .attributes
                .iter()
                .filter(|a| a.name == "Name")
                .filter_map(|a| raftkeep_store::command::name_value(&a.value))
                .collect(),
        }
    }
}

/// Runs a `raftkeep objects` command.
pub fn run(args: ObjectsArgs) -> anyhow::Result<()> {
    let target = Target::from(&args.connection)?;
    let json = args.connection.json;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        match args.command {
            ObjectsCommand::List { owner } => list(&target, owner.as_deref(), json).await,
            ObjectsCommand::Move { from, to, dry_run } => {
                move_all(&target, &from, &to, dry_run, json).await
            }
            ObjectsCommand::Moves => moves(&target, json).await,
        }
    })
}

/// Calls `each` with every page of objects, in UID order.
pub(crate) async fn pages(
    target: &Target,
    mut each: impl AsyncFnMut(Vec<StoredObject>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let peer = target.peer(&target.addr)?;
    let mut after: Option<String> = None;
    loop {
        let page = peer
            .list_objects(after.as_deref(), PAGE, target.timeout)
            .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some(last.uid.clone());
        each(page).await?;
    }
}

async fn list(target: &Target, owner: Option<&str>, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut all = Vec::new();
    pages(target, async |page| {
        for o in page.iter().filter(|o| owner.is_none_or(|w| o.owner == w)) {
            let l = Listed::of(o);
            if json {
                all.push(l);
            } else {
                writeln!(
                    out,
                    "{}  {}  {}  owner {}{}",
                    l.uid,
                    l.object_type,
                    l.state,
                    l.owner,
                    if l.names.is_empty() {
                        String::new()
                    } else {
                        format!("  name {}", l.names.join(", "))
                    }
                )?;
            }
        }
        Ok(())
    })
    .await?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
    }
    Ok(())
}

async fn move_all(
    target: &Target,
    from: &str,
    to: &str,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    crate::clients::check_identity_name(to)?;
    if from == to {
        bail!("--from and --to name the same identity");
    }
    let peer = target.peer(&target.addr)?;
    let list = peer.list_clients(target.timeout).await?;
    if !crate::clients::identities_of(&list)
        .iter()
        .any(|(id, _)| id == to)
    {
        bail!(
            "no certificate in the allow-list acts as identity {to:?}: allow one first (raftkeep clients allow CERT --identity {to}), or check the name with raftkeep clients list"
        );
    }
    let (mut seen, mut moved) = (0_u64, 0_u64);
    pages(target, async |page| {
        seen += page.len() as u64;
        let uids: Vec<String> = page
            .iter()
            .filter(|o| o.owner == from)
            .map(|o| o.uid.clone())
            .collect();
        if uids.is_empty() {
            return Ok(());
        }
        if dry_run {
            moved += uids.len() as u64;
            return Ok(());
        }
        let cmd = Command::MoveObjects {
            record: OwnershipMove {
                from: from.to_owned(),
                to: to.to_owned(),
                at: time::OffsetDateTime::now_utc().unix_timestamp(),
                by: String::new(),
                moved: 0,
            },
            uids,
        };
        match peer.write(&cmd, target.timeout, false).await? {
            Ok((CommandResult::Moved(n), _)) => moved += n,
            Ok((other, _)) => bail!("the cluster refused: {other:?}"),
            Err(e) => bail!("{e} (after {moved} objects had moved)"),
        }
        eprintln!("{seen} objects looked at, {moved} moved");
        Ok(())
    })
    .await?;
    let mut out = std::io::stdout();
    if json {
        let report =
            serde_json::json!({"from": from, "to": to, "moved": moved, "dry_run": dry_run});
        writeln!(out, "{report}")?;
    } else if dry_run {
        writeln!(out, "{moved} objects of {from} would move to {to}")?;
    } else {
        writeln!(out, "moved {moved} objects from {from} to {to}")?;
    }
    Ok(())
}

async fn moves(target: &Target, json: bool) -> anyhow::Result<()> {
    let peer = target.peer(&target.addr)?;
    let list = peer.list_clients(target.timeout).await?;
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&list.moves)?)?;
        return Ok(());
    }
    if list.moves.is_empty() {
        writeln!(out, "no objects were ever moved")?;
    }
    for m in &list.moves {
        let at = time::OffsetDateTime::from_unix_timestamp(m.at)
            .map_or_else(|_| m.at.to_string(), |t| t.to_string());
        writeln!(
            out,
            "{at}  {} objects  {} -> {}  by {}",
            m.moved, m.from, m.to, m.by
        )?;
    }
    Ok(())
}
