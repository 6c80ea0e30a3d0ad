//! `raftkeep cluster recover`: disaster recovery after the loss of a cluster's majority, run
//! on a stopped survivor. It asks the old members whether the cluster can still elect a
//! leader (then recovering would split it: refused unless forced), says what may be lost, and
//! makes the survivor's store a new one-node cluster (`raftkeep_node::offline::recover`).

use std::io::Write as _;
use std::time::Duration;

use anyhow::bail;
use raftkeep_node::NodeConfig;
use raftkeep_node::offline::Survivor;

use crate::cluster::Target;

/// How long an old member has to answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Checks, reports and recovers.
pub(crate) async fn run(target: &Target, config: &NodeConfig, force: bool) -> anyhow::Result<()> {
    let survivor = raftkeep_node::offline::survivor(config)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "node {} ({}) of cluster {}",
        config.node_id,
        config.advertise(),
        survivor.cluster_id.as_deref().unwrap_or("(no id)")
    )?;
    let blockers = probe(target, config, &survivor, &mut out).await?;
    if !blockers.is_empty() {
        if !force {
            bail!(
                "refusing to recover: {}. Recover only when the old cluster is gone for good; if its remaining nodes are stopped and will be wiped, run again with --force",
                blockers.join("; ")
            );
        }
        writeln!(out, "--force: recovering although {}", blockers.join("; "))?;
    }
    let log = survivor.log;
    let dash = |x: Option<u64>| x.map_or("-".to_owned(), |x| x.to_string());
    writeln!(
        out,
        "this node's log ends at index {}; it applied up to {}; the last commit it knew of is {}.",
        dash(log.last),
        dash(log.applied),
        dash(log.committed)
    )?;
    writeln!(
        out,
        "may be lost: writes the old cluster committed after index {} (they never reached this node).",
        dash(log.last.or(log.applied))
    )?;
    if log.uncommitted() > 0 {
        writeln!(
            out,
            "kept: {} entries after the last known commit (the old cluster may have committed them; their clients may have seen them time out).",
            log.uncommitted()
        )?;
    }
    let cluster_id = uuid::Uuid::new_v4().to_string();
    let recovered = raftkeep_node::offline::recover(config, &cluster_id)?;
    writeln!(
        out,
        "recovered: new cluster {cluster_id}, node {} its only member, at log index {} ({} log entries applied now).",
        config.node_id, recovered.at.index, recovered.applied_from_log
    )?;
    writeln!(
        out,
        "next: start this node (raftkeep server --config ...). Every other node of the old cluster must be stopped and its data directory emptied before it joins the new one:\n  raftkeep cluster add-learner HOST:PORT && raftkeep cluster promote ID"
    )?;
    Ok(())
}

/// Asks every other old member for its status; returns why recovering would be wrong.
async fn probe(
    target: &Target,
    config: &NodeConfig,
    survivor: &Survivor,
    out: &mut impl std::io::Write,
) -> anyhow::Result<Vec<String>> {
    let asks = survivor.others.iter().map(|(id, addr, voter)| async move {
        let reply = match target.peer(addr) {
            Ok(peer) => peer
                .status(PROBE_TIMEOUT, false)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        (*id, addr, *voter, reply)
    });
    let mut answering_voters = 0_usize;
    let mut blockers = Vec::new();
    for (id, addr, voter, reply) in futures::future::join_all(asks).await {
        match reply {
            Ok(r) => {
                writeln!(
                    out,
                    "  node {id} ({addr}) answers: {}, term {}, leader {}",
                    r.state,
                    r.term,
                    r.leader_id.map_or("none".to_owned(), |l| l.to_string())
                )?;
                if voter {
                    answering_voters += 1;
                }
                if let Some(leader) = r.leader_id.filter(|l| *l != config.node_id) {
                    blockers.push(format!("node {id} still follows leader {leader}"));
                }
            }
            Err(e) => writeln!(out, "  node {id} ({addr}) does not answer: {e}")?,
        }
    }
    let other_voters = survivor.others.iter().filter(|(_, _, v)| *v).count();
    let self_voter = usize::from(survivor.voters > other_voters);
    let reachable = answering_voters + self_voter;
    let majority = survivor.voters / 2 + 1;
    if survivor.voters > 0 && reachable >= majority {
        blockers.push(format!(
            "{reachable} of the {} voters answer (this node included), a majority: start this node again and the cluster elects a leader by itself",
            survivor.voters
        ));
    }
    Ok(blockers)
}
