//! The checkers, one per invariant, run after the heal phase; and the run's figures.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{BIN, Cluster};
use crate::workload::{History, Kind, Outcome, state_of, text_of};

/// The KMIP State value of Active.
const ACTIVE: u32 = 2;

pub struct Verdict {
    pub invariant: &'static str,
    pub violations: Vec<String>,
}

/// Every acknowledged Create is readable with the key material first served and the
/// attributes acknowledged; no acknowledged Destroy is undone; nothing acknowledged is lost.
pub fn acknowledged_writes(
    c: &Cluster,
    client: &raftkeep_client::Client,
    h: &History,
) -> Vec<Verdict> {
    let mut lost = Vec::new();
    let mut differ = Vec::new();
    let mut undestroyed = Vec::new();
    for (uid, k) in &h.keys {
        let got = c.block_on(client.get(uid));
        if k.destroyed_at.is_some() {
            if got.is_ok() {
                undestroyed.push(format!("{uid}: served after its acknowledged Destroy"));
            }
            continue;
        }
        let got = match got {
            Ok(got) => got,
            Err(_) if k.destroy_unknown => continue,
            Err(e) => {
                lost.push(format!("{uid}: acknowledged Create, now {e}"));
                continue;
            }
        };
        if k.first_get.as_ref().is_some_and(|first| *first != got) {
            differ.push(format!(
                "{uid}: key material or object differs from the first Get"
            ));
        }
        let attrs = match c.block_on(client.get_attributes(uid, Vec::new())) {
            Ok(a) => a,
            Err(e) => {
                lost.push(format!("{uid}: Get Attributes failed: {e}"));
                continue;
            }
        };
        if text_of(&attrs, "x-chaos").as_deref() != Some(k.tag.as_str()) {
            lost.push(format!("{uid}: x-chaos given at Create is not {}", k.tag));
        }
        if let Some(note) = &k.note {
            for name in crate::workload::BATCH_ATTRIBUTES {
                if text_of(&attrs, name).as_deref() != Some(note.as_str()) {
                    lost.push(format!(
                        "{uid}: {name} of an acknowledged Add Attribute batch lost"
                    ));
                }
            }
        }
        let state = state_of(&attrs);
        if k.activated && k.revoked.is_none() && state != Some(ACTIVE) {
            lost.push(format!("{uid}: acknowledged Activate, now state {state:?}"));
        }
        if k.revoked == Some(Outcome::Ok) && state == Some(ACTIVE) {
            lost.push(format!("{uid}: acknowledged Revoke, still Active"));
        }
    }
    vec![
        Verdict {
            invariant: "every acknowledged write is there afterwards",
            violations: lost,
        },
        Verdict {
            invariant: "every key is served with the material first served",
            violations: differ,
        },
        Verdict {
            invariant: "no key is served after its acknowledged Destroy (at the end)",
            violations: undestroyed,
        },
    ]
}

/// No Get that began after a key's Destroy was acknowledged returned the key, unless the
/// server marked it stale (a node no leader confirmed, which may have missed the Destroy:
/// docs/security.md); those are counted.
pub fn no_read_after_destroy(h: &History) -> (Verdict, usize) {
    let served_after = |o: &&crate::workload::Op| {
        let after = o
            .uid
            .as_ref()
            .and_then(|uid| h.keys.get(uid)?.destroyed_at)
            .is_some_and(|destroyed| o.start > destroyed);
        matches!(o.kind, Kind::Get | Kind::GetOld) && o.outcome == Outcome::Ok && after
    };
    let violations = h
        .ops
        .iter()
        .filter(served_after)
        .filter(|o| !o.stale)
        .map(|o| {
            format!(
                "{}: Get served after its Destroy",
                o.uid.as_deref().unwrap_or_default()
            )
        })
        .collect();
    let stale = h
        .ops
        .iter()
        .filter(served_after)
        .filter(|o| o.stale)
        .count();
    (
        Verdict {
            invariant: "no key is served after its acknowledged Destroy (during the run, except reads marked stale)",
            violations,
        },
        stale,
    )
}

/// What a read of a key's State may return, given what was acknowledged before it began:
/// none of the States the key left for good.
fn states_left_before(k: &crate::workload::Key, read_began: Instant) -> Vec<u32> {
    use kmip_ttlv::enums::State;
    let before = |t: Option<Instant>| t.is_some_and(|t| t < read_began);
    let mut left = Vec::new();
    if before(k.activated_at) || before(k.revoked_at) || before(k.destroyed_at) {
        left.push(State::PRE_ACTIVE.0);
    }
    if before(k.revoked_at) || before(k.destroyed_at) {
        left.push(State::ACTIVE.0);
    }
    if before(k.destroyed_at) {
        left.push(State::DEACTIVATED.0);
    }
    left
}

/// No read that the server did not mark stale returned a State older than one acknowledged
/// to a client before the read began (a revoked key read as Active, an activated one as
/// Pre-Active). Also how many reads were marked stale.
pub fn reads_never_go_back(h: &History) -> (Verdict, usize) {
    let reads = || {
        h.ops
            .iter()
            .filter(|o| o.kind == Kind::StateOld && o.outcome == Outcome::Ok)
    };
    let violations = reads()
        .filter(|o| !o.stale)
        .filter_map(|o| {
            let uid = o.uid.as_ref()?;
            let state = o.state?;
            let left = states_left_before(h.keys.get(uid)?, o.start);
            left.contains(&state).then(|| {
                format!("{uid}: read State {state}, which it had left before the read began")
            })
        })
        .collect();
    (
        Verdict {
            invariant: "no read returns a state older than one acknowledged before it began (except reads marked stale)",
            violations,
        },
        reads().filter(|o| o.stale).count(),
    )
}

/// No operation took longer than `bound`.
pub fn bounded(h: &History, bound: Duration) -> (Verdict, Duration) {
    let longest = h
        .ops
        .iter()
        .map(|o| o.end - o.start)
        .max()
        .unwrap_or_default();
    let violations = h
        .ops
        .iter()
        .filter(|o| o.end - o.start > bound)
        .map(|o| {
            format!(
                "{:?} {:?} took {} ms",
                o.kind,
                o.uid,
                (o.end - o.start).as_millis()
            )
        })
        .collect();
    (
        Verdict {
            invariant: "no client operation hangs past its bound",
            violations,
        },
        longest,
    )
}

/// Every node's audit log verifies.
pub fn audit_logs(c: &Cluster) -> Verdict {
    let violations = c
        .nodes
        .iter()
        .filter_map(|n| {
            let log = n.data_dir.join("audit.jsonl");
            let out = Command::new(BIN)
                .args(["audit", "verify", log.to_str()?])
                .output()
                .ok()?;
            (!out.status.success()).then(|| {
                format!(
                    "node {}: {}",
                    n.id,
                    String::from_utf8_lossy(&out.stderr).trim()
                )
            })
        })
        .collect();
    Verdict {
        invariant: "the audit logs' hash chains verify",
        violations,
    }
}

/// Counts of operations by outcome.
pub fn outcomes(h: &History) -> BTreeMap<&'static str, u64> {
    let mut m = BTreeMap::new();
    for o in &h.ops {
        let k = match o.outcome {
            Outcome::Ok => "acknowledged",
            Outcome::Failed(_) => "failed",
            Outcome::Unknown(_) => "unknown",
        };
        *m.entry(k).or_default() += 1;
    }
    m
}

/// The longest time within `[from, to]` in which no write was acknowledged.
pub fn longest_write_gap(h: &History, from: Instant, to: Instant) -> Duration {
    let mut acks: Vec<Instant> = h
        .ops
        .iter()
        .filter(|o| o.kind.is_write() && o.outcome == Outcome::Ok && o.end <= to)
        .map(|o| o.end)
        .collect();
    acks.sort();
    let mut last = from;
    let mut longest = Duration::ZERO;
    for t in acks.into_iter().chain(std::iter::once(to)) {
        longest = longest.max(t.saturating_duration_since(last));
        last = last.max(t);
    }
    longest
}

/// Refused operations by kind, with one message each (Gets of destroyed keys are refused by
/// design).
pub fn failures(h: &History) -> BTreeMap<Kind, (u64, String)> {
    by_kind(h, |o| match &o.outcome {
        Outcome::Failed(why) => Some(why),
        _ => None,
    })
}

/// Operations no server answered, by kind, with one message each.
pub fn unknowns(h: &History) -> BTreeMap<Kind, (u64, String)> {
    by_kind(h, |o| match &o.outcome {
        Outcome::Unknown(why) => Some(why),
        _ => None,
    })
}

fn by_kind(
    h: &History,
    pick: impl Fn(&crate::workload::Op) -> Option<&String>,
) -> BTreeMap<Kind, (u64, String)> {
    let mut m: BTreeMap<Kind, (u64, String)> = BTreeMap::new();
    for o in &h.ops {
        if let Some(why) = pick(o) {
            let e = m.entry(o.kind).or_insert_with(|| (0, why.clone()));
            e.0 += 1;
        }
    }
    m
}

/// The only refusals a client may get are Gets of keys it destroyed (or tried to): any other
/// refusal is the cluster answering wrongly (a joining node that knows no client, say).
pub fn no_wrong_refusals(h: &History) -> Verdict {
    let violations = h
        .ops
        .iter()
        .filter_map(|o| {
            let Outcome::Failed(why) = &o.outcome else {
                return None;
            };
            let retired = o
                .uid
                .as_ref()
                .and_then(|u| h.keys.get(u))
                .is_some_and(|k| k.destroyed_at.is_some() || k.destroy_unknown);
            let expected = o.kind == Kind::GetOld && retired;
            (!expected).then(|| format!("{:?} {:?}: {why}", o.kind, o.uid))
        })
        .collect();
    Verdict {
        invariant: "no operation is refused except Gets of destroyed keys",
        violations,
    }
}
