//! A cluster over a WAN: node processes in sites, every link between two sites through a
//! proxy that delays like a WAN ([`crate::proxy::Shape`]). Measures, per topology and round
//! trip: Create and Get latency from each site's clients, how long writes stop when the
//! leader is killed, and what a site cut off from the others still serves. The figures are
//! printed, never asserted (timings vary from machine to machine); the short test in the
//! default suite checks only that every operation succeeds where it must.

use std::time::{Duration, Instant};

use kmip_ttlv::enums::CryptographicAlgorithm;

use crate::proxy::{Link, Links, Shape};
use crate::support::{Cluster, wait_for};

/// A layout of nodes in sites.
pub struct Topology {
    pub name: &'static str,
    /// Node slots per site.
    pub sites: Vec<Vec<usize>>,
    /// The first this many nodes are voters; the rest join as learners.
    pub voters: usize,
    /// `cluster.preferred_leaders` (node ids).
    pub preferred: Vec<u64>,
    /// The sites whose clients are measured.
    pub client_sites: Vec<usize>,
}

pub fn topologies() -> Vec<Topology> {
    vec![
        Topology {
            name: "one site of 3",
            sites: vec![vec![0, 1, 2]],
            voters: 3,
            preferred: vec![],
            client_sites: vec![0],
        },
        Topology {
            name: "2 + 2 sites, witness in a third",
            sites: vec![vec![0, 1], vec![2, 3], vec![4]],
            voters: 5,
            preferred: vec![1, 2],
            client_sites: vec![0, 1],
        },
        Topology {
            name: "primary of 3, DR site of 2 learners",
            sites: vec![vec![0, 1, 2], vec![3, 4]],
            voters: 3,
            preferred: vec![],
            client_sites: vec![0, 1],
        },
    ]
}

/// Latencies of one kind of operation from one site.
#[derive(Debug, Default)]
pub struct Latencies {
    pub ok: Vec<Duration>,
    pub errors: usize,
}

impl Latencies {
    fn percentile(&self, p: f64) -> Option<Duration> {
        let mut v = self.ok.clone();
        v.sort();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied()
    }

    fn text(&self) -> String {
        let ms = |d: Option<Duration>| {
            d.map_or("—".to_owned(), |d| {
                format!("{:.1}", d.as_secs_f64() * 1e3)
            })
        };
        let errors = if self.errors > 0 {
            format!(" ({} failed)", self.errors)
        } else {
            String::new()
        };
        format!(
            "{} / {}{errors}",
            ms(self.percentile(0.5)),
            ms(self.percentile(0.99))
        )
    }
}

/// What one site's clients saw.
#[derive(Debug, Default)]
pub struct Site {
    pub creates: Latencies,
    pub gets: Latencies,
    /// First Gets of the keys (not timed) that failed.
    pub first_get_errors: usize,
}

/// What a site cut off from the others still got.
#[derive(Debug)]
pub struct Cut {
    /// Until the first Create through the rest of the cluster succeeded after the cut.
    pub writes_back: Option<Duration>,
    /// Gets at the cut-off site: served, asked.
    pub reads: (usize, usize),
    /// Why the first refused Get there was refused.
    pub refused: Option<String>,
}

/// One topology at one round trip.
#[derive(Debug)]
pub struct Row {
    pub sites: Vec<Site>,
    /// From killing the leader to the next acknowledged Create from the first site.
    pub leader_kill: Option<Duration>,
    pub cut: Option<Cut>,
    pub leader_site: Option<usize>,
}

/// The cluster of `topology` behind link proxies, initialized, the test client allowed.
fn start(topology: &Topology) -> (Cluster, Links) {
    let n = topology.sites.iter().map(Vec::len).sum::<usize>() as u64;
    let mut c = Cluster::with_default_timers(n);
    let links = Links::start(&c.rt, c.nodes.iter().map(|n| n.addr.clone()).collect());
    crate::route_through(&c, &links);
    if !topology.preferred.is_empty() {
        let list: Vec<String> = topology.preferred.iter().map(u64::to_string).collect();
        for i in 0..c.nodes.len() {
            c.set_cluster_option(i, &format!("preferred_leaders = [{}]", list.join(", ")));
        }
    }
    for i in 0..c.nodes.len() {
        c.start(i);
        links.retarget(i, &c.nodes[i].addr.clone());
    }
    c.init_first(topology.voters);
    for i in topology.voters..c.nodes.len() {
        let addr = c.nodes[i].addr.clone();
        c.cluster_cli(0, &["add-learner", &addr]);
    }
    let voters: Vec<usize> = (0..topology.voters).collect();
    let leader = c.wait_leader(&voters);
    c.allow(leader, "client");
    let all: Vec<usize> = (0..c.nodes.len()).collect();
    c.wait_converged(&all);
    (c, links)
}

/// A client of site `site` (its nodes first, then the others in order).
fn client_of(c: &Cluster, topology: &Topology, site: usize) -> raftkeep_client::Client {
    let mut order: Vec<String> = topology.sites[site]
        .iter()
        .map(|i| c.nodes[*i].kmip_addr.clone())
        .collect();
    for (s, nodes) in topology.sites.iter().enumerate() {
        if s != site {
            order.extend(nodes.iter().map(|i| c.nodes[*i].kmip_addr.clone()));
        }
    }
    c.client("client", &order, None, 10)
}

fn create(c: &Cluster, client: &raftkeep_client::Client) -> Result<String, String> {
    c.block_on(client.create_symmetric_key(CryptographicAlgorithm::AES, 256, Vec::new()))
        .map_err(|e| e.to_string())
}

fn leader_slot(c: &Cluster, among: &[usize]) -> Option<usize> {
    among.iter().find_map(|i| {
        let id = c.status(*i)?.leader_id?;
        c.nodes.iter().position(|n| n.id == id)
    })
}

/// Measures `topology` at `rtt` with `ops` Creates and Gets per site.
pub fn measure(topology: &Topology, rtt: Duration, ops: usize) -> Row {
    let (mut c, links) = start(topology);
    links.shape_between(&topology.sites, Shape::half_rtt(rtt));
    let voters: Vec<usize> = (0..topology.voters).collect();
    let all: Vec<usize> = (0..c.nodes.len()).collect();
    let site_of = |slot: usize| topology.sites.iter().position(|s| s.contains(&slot));
    let leader = wait_for("a leader where the topology wants it", || {
        let l = leader_slot(&c, &voters)?;
        let id = c.nodes[l].id;
        (topology.preferred.is_empty() || topology.preferred.contains(&id)).then_some(l)
    });
    let mut row = Row {
        sites: Vec::new(),
        leader_kill: None,
        cut: None,
        leader_site: site_of(leader),
    };
    let mut kept = String::new();
    for &site in &topology.client_sites {
        let client = client_of(&c, topology, site);
        let mut figures = Site::default();
        let mut made = Vec::new();
        for _ in 0..ops {
            let started = Instant::now();
            match create(&c, &client) {
                Ok(uid) => {
                    figures.creates.ok.push(started.elapsed());
                    made.push(uid);
                }
                Err(_) => figures.creates.errors += 1,
            }
        }
        // A key's first Get also records through Raft that it is no longer Fresh; the
        // figures are those of the Gets after it, reads alone.
        for uid in &made {
            if c.block_on(client.get(uid)).is_err() {
                figures.first_get_errors += 1;
            }
        }
        for uid in &made {
            let started = Instant::now();
            match c.block_on(client.get(uid)) {
                Ok(_) => figures.gets.ok.push(started.elapsed()),
                Err(_) => figures.gets.errors += 1,
            }
        }
        // A cut-off site serves only Active keys (vCenter activates what it creates).
        if let Some(uid) = made.first() {
            kept.clone_from(uid);
            let _ = c.block_on(client.activate(uid));
        }
        row.sites.push(figures);
    }

    // Cut the last measured site off from the others (when there is another site).
    if let (Some(&cut_site), true) = (topology.client_sites.last(), topology.sites.len() > 1) {
        let isolated = topology.sites[cut_site].clone();
        let rest: Vec<usize> = all
            .iter()
            .copied()
            .filter(|i| !isolated.contains(i))
            .collect();
        links.partition(&[isolated.clone(), rest], Link::Drop);
        let cut_at = Instant::now();
        let first = client_of(&c, topology, 0);
        let writes_back = (0..60).find_map(|_| create(&c, &first).ok().map(|_| cut_at.elapsed()));
        let only: Vec<String> = isolated
            .iter()
            .map(|i| c.nodes[*i].kmip_addr.clone())
            .collect();
        let cut_client = c.client("client", &only, None, 10);
        let asked = 10;
        let mut refused = None;
        let served = (0..asked)
            .filter(|_| match c.block_on(cut_client.get(&kept)) {
                Ok(_) => true,
                Err(e) => {
                    refused.get_or_insert_with(|| e.to_string());
                    false
                }
            })
            .count();
        row.cut = Some(Cut {
            writes_back,
            reads: (served, asked),
            refused,
        });
        links.heal();
        links.shape_between(&topology.sites, Shape::half_rtt(rtt));
        c.wait_converged(&all);
    }

    // Kill the leader; time until a Create from the first site is acknowledged again.
    let leader = leader_slot(&c, &voters).unwrap_or(leader);
    let first = client_of(&c, topology, 0);
    c.kill(leader);
    let killed_at = Instant::now();
    row.leader_kill = (0..60).find_map(|_| create(&c, &first).ok().map(|_| killed_at.elapsed()));
    c.start(leader);
    c.wait_converged(&all);
    row
}

/// The Markdown lines of one row.
pub fn print(topology: &Topology, rtt: Duration, row: &Row) -> String {
    let ms =
        |d: Option<Duration>| d.map_or("never".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()));
    let sites: Vec<String> = topology
        .client_sites
        .iter()
        .zip(&row.sites)
        .map(|(s, f)| {
            format!(
                "site {}: Create {} · Get {}",
                s + 1,
                f.creates.text(),
                f.gets.text()
            )
        })
        .collect();
    let cut = row.cut.as_ref().map_or("—".to_owned(), |cut| {
        let why = cut
            .refused
            .as_ref()
            .map(|e| format!(" (refused: {e:.160})"))
            .unwrap_or_default();
        format!(
            "writes back {}; reads at the cut-off site {}/{}{why}",
            ms(cut.writes_back),
            cut.reads.0,
            cut.reads.1
        )
    });
    format!(
        "| {} | {} ms | {} | leader in site {} | {} | {} |",
        topology.name,
        rtt.as_millis(),
        sites.join("<br>"),
        row.leader_site
            .map_or("?".to_owned(), |s| (s + 1).to_string()),
        ms(row.leader_kill),
        cut
    )
}

/// The table header.
pub const HEADER: &str = "| topology | RTT between sites | p50 / p99 ms per site | leader | writes back after a leader kill | site cut |\n|---|---:|---|---|---:|---|";
