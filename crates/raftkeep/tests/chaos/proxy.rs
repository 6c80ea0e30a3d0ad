//! Per-link fault proxies: every node reaches every other node through its own TCP proxy
//! (the nodes' `[cluster.dial]`), so one direction of one link can fail while the rest works.
//! A link passes, drops (connections refused and cut), or hangs (accepted, never answered).

use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What a link does to its traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Pass,
    Drop,
    Hang,
}

/// The proxies of one cluster: `from` → `to` for every ordered pair of node slots.
pub struct Links {
    n: usize,
    /// `states[from * n + to]`.
    states: Vec<watch::Sender<Link>>,
    /// Listening address of each link's proxy.
    addrs: Vec<String>,
    /// Where each node listens now (read at every new connection).
    targets: Arc<Mutex<Vec<String>>>,
}

impl Links {
    /// Starts `n * (n - 1)` proxies on 127.0.0.1 in `rt`, all passing, towards `targets`.
    pub fn start(rt: &tokio::runtime::Runtime, targets: Vec<String>) -> Links {
        let n = targets.len();
        let targets = Arc::new(Mutex::new(targets));
        let mut states = Vec::new();
        let mut addrs = Vec::new();
        for from in 0..n {
            for to in 0..n {
                let (tx, rx) = watch::channel(Link::Pass);
                states.push(tx);
                if from == to {
                    addrs.push(String::new());
                    continue;
                }
                let listener = rt
                    .block_on(TcpListener::bind("127.0.0.1:0"))
                    .expect("bind a proxy");
                addrs.push(listener.local_addr().unwrap().to_string());
                rt.spawn(serve(listener, rx, targets.clone(), to));
            }
        }
        Links {
            n,
            states,
            addrs,
            targets,
        }
    }

    /// The address node slot `from` dials to reach slot `to`.
    pub fn addr(&self, from: usize, to: usize) -> &str {
        &self.addrs[from * self.n + to]
    }

    /// Where slot `to` listens now (after a node moved ports at start).
    pub fn retarget(&self, to: usize, addr: &str) {
        self.targets.lock().unwrap()[to] = addr.to_owned();
    }

    pub fn set(&self, from: usize, to: usize, link: Link) {
        if from != to {
            self.states[from * self.n + to].send_replace(link);
        }
    }

    /// Links between different groups get `link`; links within a group pass.
    pub fn partition(&self, groups: &[Vec<usize>], link: Link) {
        let group_of = |i: usize| groups.iter().position(|g| g.contains(&i));
        for from in 0..self.n {
            for to in 0..self.n {
                let apart = group_of(from) != group_of(to);
                self.set(from, to, if apart { link } else { Link::Pass });
            }
        }
    }

    pub fn heal(&self) {
        for from in 0..self.n {
            for to in 0..self.n {
                self.set(from, to, Link::Pass);
            }
        }
    }
}

async fn serve(
    listener: TcpListener,
    state: watch::Receiver<Link>,
    targets: Arc<Mutex<Vec<String>>>,
    to: usize,
) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        let target = targets.lock().unwrap()[to].clone();
        tokio::spawn(relay(inbound, target, state));
    }
}

/// Relays one connection while the link passes; cuts it when the link drops; holds it
/// silent while the link hangs.
async fn relay(mut inbound: TcpStream, target: String, mut state: watch::Receiver<Link>) {
    let link = *state.borrow_and_update();
    match link {
        Link::Drop => return,
        Link::Hang => {
            // Accepted, never answered, until the link changes; then dropped (a peer that
            // hung and came back has lost its connections).
            let _ = state.changed().await;
            return;
        }
        Link::Pass => {}
    }
    let Ok(mut outbound) = TcpStream::connect(&target).await else {
        return;
    };
    let _ = outbound.set_nodelay(true);
    let _ = inbound.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = async {
            while state.changed().await.is_ok() {
                if *state.borrow() != Link::Pass {
                    return;
                }
            }
        } => {}
    }
}
