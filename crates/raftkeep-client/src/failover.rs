//! vCenter's key-provider failover (docs/client.md): every request starts at the first
//! server of the client's order (or, when sticky, at the last one that answered) and moves on
//!
//! - at once when a server is down (refused, reset, unreachable, no DNS name, TLS handshake
//!   refused), when the connection broke after the request was sent, or when the server says
//!   it cannot serve now (Raftkeep's "unavailable" condition: no quorum, no leader);
//! - after the service timeout when a server accepted the connection but does not answer.
//!
//! An answer — success or an application error — ends the request: another server would
//! answer alike. Every attempt is a tracing event and a `raftkeep_client_attempts_total`
//! counter (labels `server`, `outcome`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kmip_messages::vendor::ServerCondition;
use kmip_messages::{Message, ResponseMessage};
use kmip_ttlv::Limits;
use tokio_rustls::TlsConnector;

use crate::connection::{Connection, Timeouts};
use crate::error::ClientError;
use crate::servers::Server;

/// What one attempt on one server came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered (success or an application error).
    Answered,
    /// The server is down: nothing was sent.
    Down(String),
    /// The connection broke after the request was sent: it may have been carried out.
    Lost(String),
    /// The server accepted the connection but gave no answer within the service timeout.
    Hung(Duration),
    /// The server answered that it cannot serve now; another server may.
    Unavailable(String),
    /// The server sent something that is not a KMIP response.
    Invalid(String),
}

impl Outcome {
    /// A short label for metrics and tables.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::Down(_) => "down",
            Outcome::Lost(_) => "lost",
            Outcome::Hung(_) => "hung",
            Outcome::Unavailable(_) => "unavailable",
            Outcome::Invalid(_) => "invalid",
        }
    }

    /// True when the request may have been carried out although no answer came back.
    pub fn ambiguous(&self) -> bool {
        matches!(
            self,
            Outcome::Lost(_) | Outcome::Hung(_) | Outcome::Invalid(_) | Outcome::Unavailable(_)
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Answered => f.write_str("answered"),
            Outcome::Down(why) => write!(f, "down ({why})"),
            Outcome::Lost(why) => write!(f, "lost the request ({why})"),
            Outcome::Hung(t) => write!(f, "no answer within {}s", t.as_secs()),
            Outcome::Unavailable(why) => write!(f, "cannot serve now ({why})"),
            Outcome::Invalid(why) => write!(f, "not a KMIP response ({why})"),
        }
    }
}

/// One attempt of one request on one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The server.
    pub server: Server,
    /// What came of it.
    pub outcome: Outcome,
    /// How long it took.
    pub elapsed: Duration,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} after {} ms",
            self.server,
            self.outcome,
            self.elapsed.as_millis()
        )
    }
}

/// The pause between passes over a list whose servers cannot serve now.
const UNAVAILABLE_PAUSE: Duration = Duration::from_millis(250);

/// The attempts on one line.
pub fn summary(attempts: &[Attempt]) -> String {
    if attempts.is_empty() {
        return "no server was tried".to_owned();
    }
    attempts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A response and how it was obtained.
#[derive(Debug)]
pub struct Exchange {
    /// The response.
    pub response: ResponseMessage,
    /// The server that gave it.
    pub server: Server,
    /// Every attempt, the answering one last.
    pub attempts: Vec<Attempt>,
}

impl Exchange {
    /// Whether the server marked an item as answered from a copy no leader could confirm
    /// (Raftkeep's "stale" condition): it may miss the latest changes.
    pub fn stale(&self) -> bool {
        self.response.batch_items.iter().any(|item| {
            item.message_extension
                .as_ref()
                .and_then(ServerCondition::from_extension)
                == Some(ServerCondition::Stale)
        })
    }
}

/// The server list in try order, the TLS setup, and one idle connection per server.
pub(crate) struct Failover {
    order: Vec<Server>,
    sticky: bool,
    last_good: Mutex<usize>,
    tls: TlsConnector,
    timeouts: Timeouts,
    idle: Mutex<HashMap<String, Connection>>,
    /// Keep a connection per server for the next request.
    reuse: bool,
    /// How long to go on trying the list when no server answered and one said it cannot
    /// serve now (an election): zero, as vCenter, unless asked.
    unavailable_wait: Duration,
}

impl fmt::Debug for Failover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failover")
            .field("order", &self.order)
            .field("sticky", &self.sticky)
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

impl Failover {
    pub(crate) fn new(
        order: Vec<Server>,
        sticky: bool,
        tls: TlsConnector,
        timeouts: Timeouts,
    ) -> Self {
        Failover {
            order,
            sticky,
            last_good: Mutex::new(0),
            tls,
            timeouts,
            idle: Mutex::new(HashMap::new()),
            reuse: true,
            unavailable_wait: Duration::ZERO,
        }
    }

    /// Go on trying the list for up to `wait` when no server answered and at least one said
    /// it cannot serve now — a cluster in an election answers again within a second or two.
    pub(crate) fn waiting_out_unavailable(mut self, wait: Duration) -> Self {
        self.unavailable_wait = wait;
        self
    }

    /// The same loop, opening a new connection for every request.
    pub(crate) fn without_reuse(mut self) -> Self {
        self.reuse = false;
        self
    }

    /// The servers in the order this request tries them.
    fn this_order(&self) -> Vec<(usize, &Server)> {
        let start = if self.sticky {
            self.last_good.lock().map_or(0, |g| *g)
        } else {
            0
        };
        let n = self.order.len();
        (0..n)
            .map(|i| (i + start) % n.max(1))
            .filter_map(|i| self.order.get(i).map(|s| (i, s)))
            .collect()
    }

    /// Sends `request` to one server after another until one answers; again, after a pause,
    /// while some server says it cannot serve now and `unavailable_wait` has not passed.
    pub(crate) async fn send(&self, request: &[u8]) -> Result<Exchange, ClientError> {
        let started = Instant::now();
        let mut attempts = Vec::new();
        loop {
            let from = attempts.len();
            match self.pass(request, &mut attempts).await {
                Some(exchange) => return Ok(exchange),
                None => {
                    let unavailable = attempts
                        .get(from..)
                        .unwrap_or_default()
                        .iter()
                        .any(|a| matches!(a.outcome, Outcome::Unavailable(_)));
                    let left = self.unavailable_wait.saturating_sub(started.elapsed());
                    if !unavailable || left.is_zero() {
                        return Err(ClientError::NoServer { attempts });
                    }
                    tracing::debug!(
                        left_ms = left.as_millis(),
                        "no server can serve now; trying the list again"
                    );
                    tokio::time::sleep(left.min(UNAVAILABLE_PAUSE)).await;
                }
            }
        }
    }

    /// One pass over the list; the exchange of the server that answered.
    async fn pass(&self, request: &[u8], attempts: &mut Vec<Attempt>) -> Option<Exchange> {
        for (i, server) in self.this_order() {
            tracing::debug!(server = %server, "sending");
            let started = Instant::now();
            let result = self.attempt(server, request).await;
            let outcome = match &result {
                Ok(_) => Outcome::Answered,
                Err(o) => o.clone(),
            };
            let elapsed = started.elapsed();
            record(server, &outcome, elapsed, attempts.is_empty());
            attempts.push(Attempt {
                server: server.clone(),
                outcome,
                elapsed,
            });
            if let Ok(response) = result {
                if let Ok(mut g) = self.last_good.lock() {
                    *g = i;
                }
                return Some(Exchange {
                    response,
                    server: server.clone(),
                    attempts: std::mem::take(attempts),
                });
            }
        }
        None
    }

    /// One server: its idle connection if it has one (a fresh one if the server closed
    /// that meanwhile), else a new connection.
    async fn attempt(&self, server: &Server, request: &[u8]) -> Result<ResponseMessage, Outcome> {
        let idle = self
            .idle
            .lock()
            .ok()
            .and_then(|mut m| m.remove(&server.address));
        let mut lost_on_idle = None;
        if let Some(mut conn) = idle {
            match conn.exchange(request, self.timeouts.service).await {
                Ok(bytes) => return self.answer(server, conn, &bytes),
                // Servers close idle connections: then the request did not reach this one's
                // engine, and a new connection carries it.
                Err(Outcome::Lost(why)) => {
                    tracing::debug!(server = %server, %why, "idle connection was closed; reconnecting");
                    lost_on_idle = Some(why);
                }
                Err(other) => return Err(other),
            }
        }
        let fresh = async {
            let mut conn = Connection::open(server, &self.tls, self.timeouts).await?;
            let bytes = conn.exchange(request, self.timeouts.service).await?;
            self.answer(server, conn, &bytes)
        };
        match (fresh.await, lost_on_idle) {
            // A server that died right after reading the request from its idle connection
            // refuses the new one: the request may have been carried out (seen in the chaos
            // tests as a Destroy reported failed that had happened).
            (Err(Outcome::Down(down)), Some(lost)) => {
                Err(Outcome::Lost(format!("{lost}; then {down}")))
            }
            (result, _) => result,
        }
    }

    /// Decodes a response; a server that says it cannot serve now counts as a failed attempt.
    fn answer(
        &self,
        server: &Server,
        conn: Connection,
        bytes: &[u8],
    ) -> Result<ResponseMessage, Outcome> {
        let response = ResponseMessage::decode(bytes, &Limits::default())
            .map_err(|e| Outcome::Invalid(e.to_string()))?;
        if self.reuse
            && let Ok(mut idle) = self.idle.lock()
        {
            idle.insert(server.address.clone(), conn);
        }
        let unavailable = response.batch_items.iter().find(|item| {
            item.message_extension
                .as_ref()
                .and_then(ServerCondition::from_extension)
                == Some(ServerCondition::Unavailable)
        });
        match unavailable {
            Some(item) => Err(Outcome::Unavailable(
                item.result_message.clone().unwrap_or_default(),
            )),
            None => Ok(response),
        }
    }
}

/// Logs and counts one attempt.
fn record(server: &Server, outcome: &Outcome, elapsed: Duration, first: bool) {
    let ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
    metrics::counter!(
        "raftkeep_client_attempts_total",
        "server" => server.to_string(),
        "outcome" => outcome.label()
    )
    .increment(1);
    match outcome {
        Outcome::Answered if first => {
            tracing::debug!(server = %server, elapsed_ms = ms, "answered");
        }
        Outcome::Answered => {
            tracing::info!(server = %server, elapsed_ms = ms, "answered after failover");
        }
        failed => {
            metrics::counter!("raftkeep_client_failovers_total", "reason" => failed.label())
                .increment(1);
            tracing::warn!(server = %server, outcome = failed.label(), elapsed_ms = ms, detail = %failed, "server failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failover(sticky: bool) -> Failover {
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
        let order = crate::servers::parse_list("a:1,b:1,c:1").unwrap();
        let timeouts = Timeouts {
            connect: Duration::from_secs(1),
            service: Duration::from_secs(1),
        };
        Failover::new(
            order,
            sticky,
            TlsConnector::from(std::sync::Arc::new(config)),
            timeouts,
        )
    }

    fn hosts(f: &Failover) -> Vec<&str> {
        f.this_order().into_iter().map(|(_, s)| s.host()).collect()
    }

    #[test]
    fn every_request_starts_at_the_first_server_unless_sticky() {
        let plain = failover(false);
        *plain.last_good.lock().unwrap() = 1;
        assert_eq!(hosts(&plain), ["a", "b", "c"]);
        let sticky = failover(true);
        *sticky.last_good.lock().unwrap() = 1;
        assert_eq!(hosts(&sticky), ["b", "c", "a"]);
    }
}
