//! Per-link fault proxies: every node reaches every other node through its own TCP proxy
//! (the nodes' `[cluster.dial]`), so one direction of one link can fail while the rest works.
//! A link passes, drops (connections refused and cut), or hangs (accepted, never answered).
//! A passing link can also be shaped like a WAN, per direction ([`Shape`]): delay, jitter,
//! loss (as TCP shows it: a chunk held back a retransmission timeout, and everything behind
//! it) and a bandwidth cap.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// How one direction of a link delays what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Shape {
    /// One-way delay (half the round trip when both directions have it).
    pub delay: Duration,
    /// Added to the delay: uniformly 0..jitter per chunk, order kept.
    pub jitter: Duration,
    /// The share of chunks held back a retransmission timeout ([`RTO`]).
    pub loss: f64,
    /// Bytes per second at most; `None`: unlimited.
    pub bytes_per_sec: Option<u64>,
}

/// What a lost segment costs a TCP stream: Linux's minimum retransmission timeout.
pub const RTO: Duration = Duration::from_millis(200);

impl Shape {
    /// Half of a round trip of `rtt`, with a tenth of it as jitter.
    pub fn half_rtt(rtt: Duration) -> Shape {
        Shape {
            delay: rtt / 2,
            jitter: rtt / 20,
            ..Shape::default()
        }
    }

    fn is_none(&self) -> bool {
        *self == Shape::default()
    }
}

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
    /// `shapes[from * n + to]`: the traffic from `from` to `to`, on every connection.
    shapes: Vec<watch::Sender<Shape>>,
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
        let mut shapes = Vec::new();
        for _ in 0..n * n {
            states.push(watch::channel(Link::Pass).0);
            shapes.push(watch::channel(Shape::default()).0);
        }
        let mut addrs = Vec::new();
        for from in 0..n {
            for to in 0..n {
                if from == to {
                    addrs.push(String::new());
                    continue;
                }
                let listener = rt
                    .block_on(TcpListener::bind("127.0.0.1:0"))
                    .expect("bind a proxy");
                addrs.push(listener.local_addr().unwrap().to_string());
                let link = Directions {
                    state: states[from * n + to].subscribe(),
                    out: shapes[from * n + to].subscribe(),
                    back: shapes[to * n + from].subscribe(),
                };
                rt.spawn(serve(listener, link, targets.clone(), to));
            }
        }
        Links {
            n,
            states,
            shapes,
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

    /// Traffic from `from` to `to` gets `shape` from now on (open connections too).
    pub fn shape(&self, from: usize, to: usize, shape: Shape) {
        if from != to {
            self.shapes[from * self.n + to].send_replace(shape);
        }
    }

    /// Every link between nodes of different sites gets `shape` in both directions; links
    /// within a site are left as they are.
    pub fn shape_between(&self, sites: &[Vec<usize>], shape: Shape) {
        let site_of = |i: usize| sites.iter().position(|g| g.contains(&i));
        for from in 0..self.n {
            for to in 0..self.n {
                if site_of(from) != site_of(to) {
                    self.shape(from, to, shape);
                }
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

/// What one proxy follows: its link's state, and the shape of each direction.
#[derive(Clone)]
struct Directions {
    state: watch::Receiver<Link>,
    /// From the dialing node to the dialed one.
    out: watch::Receiver<Shape>,
    /// The answers.
    back: watch::Receiver<Shape>,
}

async fn serve(
    listener: TcpListener,
    link: Directions,
    targets: Arc<Mutex<Vec<String>>>,
    to: usize,
) {
    loop {
        let Ok((inbound, _)) = listener.accept().await else {
            continue;
        };
        let link = link.clone();
        let target = targets.lock().unwrap()[to].clone();
        tokio::spawn(relay(inbound, target, link));
    }
}

/// Relays one connection while the link passes; cuts it when the link drops; holds it
/// silent while the link hangs.
async fn relay(inbound: TcpStream, target: String, link: Directions) {
    let Directions {
        mut state,
        out,
        back,
    } = link;
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
    let Ok(outbound) = TcpStream::connect(&target).await else {
        return;
    };
    let _ = outbound.set_nodelay(true);
    let _ = inbound.set_nodelay(true);
    let (in_read, in_write) = inbound.into_split();
    let (out_read, out_write) = outbound.into_split();
    tokio::select! {
        _ = async {
            tokio::join!(
                carry(in_read, out_write, out),
                carry(out_read, in_write, back),
            )
        } => {}
        _ = async {
            while state.changed().await.is_ok() {
                if *state.borrow() != Link::Pass {
                    return;
                }
            }
        } => {}
    }
}

/// Carries one direction: each chunk read is written when its shape says it arrives — never
/// before the chunk ahead of it, and no faster than the bandwidth allows.
async fn carry(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    shape: watch::Receiver<Shape>,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(256);
    let read = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = from.read(&mut buf).await {
            if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).await.is_err() {
                break;
            }
        }
    };
    let write = async move {
        let mut rng = fastrand::Rng::new();
        let mut free_at = Instant::now();
        while let Some((read_at, chunk)) = rx.recv().await {
            let s = *shape.borrow();
            if !s.is_none() {
                let mut due = read_at + s.delay;
                if !s.jitter.is_zero() {
                    due += s.jitter.mul_f64(rng.f64());
                }
                if s.loss > 0.0 && rng.f64() < s.loss {
                    due += RTO;
                }
                due = due.max(free_at);
                if let Some(rate) = s.bytes_per_sec.filter(|r| *r > 0) {
                    free_at = due + Duration::from_secs_f64(chunk.len() as f64 / rate as f64);
                } else {
                    free_at = due;
                }
                tokio::time::sleep_until(due).await;
            }
            if to.write_all(&chunk).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(read, write);
}
