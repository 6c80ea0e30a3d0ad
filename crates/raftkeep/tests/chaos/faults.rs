//! Faults on real node processes and on the links between them, one at a time: inject, hold,
//! heal. Each is chosen by the run's seeded random generator, so a seed replays the same
//! sequence of choices (timings on a busy machine still vary).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::proxy::{Link, Links};
use crate::support::{Cluster, wait_for};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// SIGKILL a random node; restart it when healed.
    KillRandom,
    /// SIGKILL the leader; restart it when healed.
    KillLeader,
    /// SIGSTOP a random node (a hung node: its sockets accept, nothing answers); SIGCONT.
    Pause,
    /// SIGTERM and start again at once.
    Restart,
    /// SIGKILL a follower, remove it, empty its data directory, start it under a new id and
    /// join it again (it catches up from a snapshot or the log).
    WipeRejoin,
    /// Cut one node off from every other (both directions).
    Isolate,
    /// Cut the leader off.
    IsolateLeader,
    /// One node's requests to the others are lost; theirs to it pass.
    OneWay,
    /// One node's links accept connections and never answer.
    HangLinks,
    /// Five nodes split 2 / 2 / 1: no side has a majority.
    MajoritySplit,
    /// One site cut off from the others.
    SiteCut,
}

/// What to undo when a fault is healed.
enum Active {
    Killed(usize),
    Paused(usize),
    Links,
    Nothing,
    /// Not injected: no leader answered to pick as the target.
    Skipped,
}

pub struct Chaos<'a> {
    pub c: &'a mut Cluster,
    pub links: &'a Links,
    /// Node slots per site (one site: no site cuts).
    pub sites: Vec<Vec<usize>>,
    pub rng: fastrand::Rng,
    pub injected: BTreeMap<Fault, u64>,
    /// (when, term, leader id) each time the observed leader changed.
    pub leaders: Vec<(Instant, u64, u64)>,
    /// Every wait and every command here is bounded by this.
    pub patience: Duration,
}

impl Chaos<'_> {
    pub fn menu(&self) -> Vec<Fault> {
        let mut m = vec![
            Fault::KillRandom,
            Fault::KillLeader,
            Fault::Pause,
            Fault::Restart,
            Fault::WipeRejoin,
            Fault::Isolate,
            Fault::IsolateLeader,
            Fault::OneWay,
            Fault::HangLinks,
        ];
        if self.c.nodes.len() >= 5 {
            m.push(Fault::MajoritySplit);
        }
        if self.sites.len() >= 2 {
            m.push(Fault::SiteCut);
        }
        m
    }

    /// Injects one fault, holds it for `hold`, heals it, then lets the cluster settle for
    /// `settle`; watches the leader throughout.
    pub fn round(&mut self, fault: Fault, hold: Duration, settle: Duration) {
        eprintln!("chaos: {fault:?} for {} ms", hold.as_millis());
        let active = self.inject(fault);
        if matches!(active, Active::Skipped) {
            eprintln!("chaos:   no leader answered: nothing injected");
        } else {
            *self.injected.entry(fault).or_default() += 1;
        }
        self.watch(hold);
        self.heal(active);
        self.watch(settle);
    }

    fn random_node(&mut self) -> usize {
        self.rng.usize(..self.c.nodes.len())
    }

    fn inject(&mut self, fault: Fault) -> Active {
        let n = self.c.nodes.len();
        match fault {
            Fault::KillRandom => {
                let i = self.random_node();
                self.c.kill(i);
                Active::Killed(i)
            }
            Fault::KillLeader => match self.leader() {
                Some(i) => {
                    self.c.kill(i);
                    Active::Killed(i)
                }
                None => Active::Skipped,
            },
            Fault::Pause => {
                let i = self.random_node();
                self.c.pause(i);
                Active::Paused(i)
            }
            Fault::Restart => {
                let i = self.random_node();
                self.terminate(i);
                self.c.start(i);
                Active::Nothing
            }
            Fault::WipeRejoin => {
                if self.wipe_rejoin() {
                    Active::Nothing
                } else {
                    Active::Skipped
                }
            }
            Fault::Isolate | Fault::IsolateLeader => {
                let i = match fault {
                    Fault::IsolateLeader => match self.leader() {
                        Some(i) => i,
                        None => return Active::Skipped,
                    },
                    _ => self.random_node(),
                };
                let rest = (0..n).filter(|j| *j != i).collect();
                self.links.partition(&[vec![i], rest], Link::Drop);
                Active::Links
            }
            Fault::OneWay => {
                let i = self.random_node();
                for j in 0..n {
                    self.links.set(i, j, Link::Drop);
                }
                Active::Links
            }
            Fault::HangLinks => {
                let i = self.random_node();
                let rest = (0..n).filter(|j| *j != i).collect();
                self.links.partition(&[vec![i], rest], Link::Hang);
                Active::Links
            }
            Fault::MajoritySplit => {
                self.links
                    .partition(&[vec![0, 1], vec![2, 3], (4..n).collect()], Link::Drop);
                Active::Links
            }
            Fault::SiteCut => {
                let site = self.rng.usize(..self.sites.len());
                let cut = self.sites[site].clone();
                let rest = (0..n).filter(|j| !cut.contains(j)).collect();
                self.links.partition(&[cut, rest], Link::Drop);
                Active::Links
            }
        }
    }

    fn heal(&mut self, active: Active) {
        match active {
            Active::Killed(i) => self.c.start(i),
            Active::Paused(i) => self.c.resume(i),
            Active::Links => self.links.heal(),
            Active::Nothing | Active::Skipped => {}
        }
    }

    /// SIGTERM, and wait for the node to stop.
    fn terminate(&mut self, i: usize) {
        if let Some(mut child) = self.c.nodes[i].child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + self.patience;
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The leader as a node that answers quickly says; `None` if none answers with one.
    pub fn leader(&self) -> Option<usize> {
        (0..self.c.nodes.len()).find_map(|i| {
            let s = self.quick_status(i)?;
            (s.state == "Leader").then_some(i)
        })
    }

    fn quick_status(&self, i: usize) -> Option<raftkeep_proto::cluster::StatusReply> {
        self.c.nodes[i].child.as_ref()?;
        let peer = self.c.peer(i);
        // Peer calls are bounded by their timeout (a stopped node never answers).
        self.c
            .block_on(peer.status(Duration::from_millis(300), false))
            .ok()
    }

    /// Sleeps `d`, noting every change of the leader some node reports.
    fn watch(&mut self, d: Duration) {
        let end = Instant::now() + d;
        let mut next = 0;
        while Instant::now() < end {
            let i = next % self.c.nodes.len();
            next += 1;
            if let Some(s) = self.quick_status(i)
                && let Some(leader) = s.leader_id
            {
                let known = self.leaders.last().map(|(_, t, l)| (*t, *l));
                if known.is_none_or(|(t, l)| s.term > t || (s.term == t && l != leader)) {
                    eprintln!("chaos:   leader node {leader}, term {}", s.term);
                    self.leaders.push((Instant::now(), s.term, leader));
                }
            }
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Kills a follower, removes it, wipes it, and joins it again under a new id; false if no
    /// leader answered.
    fn wipe_rejoin(&mut self) -> bool {
        let Some(leader) = self.leader() else {
            return false;
        };
        let n = self.c.nodes.len();
        let i = (leader + 1 + self.rng.usize(..n - 1)) % n;
        let old = self.c.nodes[i].id;
        let new = old + 10;
        self.c.kill(i);
        let via = leader;
        self.admin(via, &["remove-node", &old.to_string()]);
        std::fs::remove_dir_all(&self.c.nodes[i].data_dir).unwrap();
        let config = std::fs::read_to_string(&self.c.nodes[i].config).unwrap();
        let config = config.replace(&format!("node_id = {old}\n"), &format!("node_id = {new}\n"));
        std::fs::write(&self.c.nodes[i].config, config).unwrap();
        self.c.nodes[i].id = new;
        self.c.start(i);
        let addr = self.c.nodes[i].addr.clone();
        self.admin(via, &["add-learner", &addr]);
        self.admin(via, &["promote", &new.to_string()]);
        true
    }

    /// A `raftkeep cluster` command through any running node, retried until it succeeds.
    fn admin(&self, first: usize, args: &[&str]) {
        let n = self.c.nodes.len();
        let mut k = first;
        wait_for(&format!("cluster {args:?}"), || {
            k = (k + 1) % n;
            self.c.nodes[k].child.as_ref()?;
            let out = self.c.cluster_cmd(k, args);
            // A retried removal whose first attempt went through.
            let done = String::from_utf8_lossy(&out.stderr).contains("is not a member");
            (out.status.success() || done).then_some(())
        });
    }
}
