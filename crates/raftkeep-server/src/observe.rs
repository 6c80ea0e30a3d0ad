//! The KMIP front end's metrics (the `metrics` facade; a node exports them on `/metrics`).
//! Names and labels live here so the dashboard and the docs have one place to look.

use std::time::Duration;

/// Connections open now.
pub const CONNECTIONS: &str = "raftkeep_kmip_connections";
/// Connections that completed the TLS handshake (vCenter opens one per request).
pub const CONNECTIONS_TOTAL: &str = "raftkeep_kmip_connections_total";
/// TLS handshakes that failed, by `reason`.
pub const HANDSHAKE_FAILURES: &str = "raftkeep_kmip_tls_handshake_failures_total";
/// Connections closed at accept because `max_connections` were open.
pub const CONNECTIONS_REFUSED: &str = "raftkeep_kmip_connections_refused_total";
/// Batch items answered, by `operation` and `result` (`Success` or the result reason, by its spec name).
pub const OPERATIONS: &str = "raftkeep_kmip_operations_total";
/// Time to answer a batch item, by `operation`, in seconds.
pub const OPERATION_SECONDS: &str = "raftkeep_kmip_operation_seconds";

/// Reads (Get, Get Attributes, Get Attribute List, Locate, the cryptographic operations)
/// served from the node's own copy while no leader could confirm it is current (an election,
/// the node cut off), where `reads_without_quorum` allows it: that copy may lack recent
/// changes (a revocation, a destroy).
pub const STALE_READS: &str = "raftkeep_kmip_stale_reads_total";
/// Requests the node could not serve because of the cluster and answered by closing the
/// connection (clients that do not understand Raftkeep's "unavailable" mark fail over only
/// from a server that looks down).
pub const HUNG_UP: &str = "raftkeep_kmip_closed_unavailable_total";
/// 1 while the node resets new KMIP connections because it can serve nothing (no leader
/// within the stale window, or no cluster state yet).
pub const GATE_CLOSED: &str = "raftkeep_kmip_listener_closed";
/// New connections reset because the node could serve nothing (see [`GATE_CLOSED`]).
pub const CONNECTIONS_RESET: &str = "raftkeep_kmip_connections_reset_total";

/// Records one request answered by closing the connection (see [`HUNG_UP`]).
pub fn hung_up() {
    metrics::counter!(HUNG_UP).increment(1);
}

/// Records one read served from a copy that may be stale (see [`STALE_READS`]).
pub fn stale_read() {
    metrics::counter!(STALE_READS).increment(1);
}

/// Counts an open connection until dropped.
#[derive(Debug)]
pub(crate) struct OpenConnection(());

impl OpenConnection {
    pub(crate) fn new() -> Self {
        metrics::counter!(CONNECTIONS_TOTAL).increment(1);
        metrics::gauge!(CONNECTIONS).increment(1.0);
        OpenConnection(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        metrics::gauge!(CONNECTIONS).decrement(1.0);
    }
}

/// Records a failed handshake; `reason` is one of a few fixed words (low cardinality).
pub(crate) fn handshake_failed(reason: &'static str) {
    metrics::counter!(HANDSHAKE_FAILURES, "reason" => reason).increment(1);
}

/// Why a handshake failed, in a word: what an operator looks for on a dashboard.
pub(crate) fn handshake_failure_reason(e: &std::io::Error) -> &'static str {
    let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return "io";
    };
    match tls {
        rustls::Error::NoCertificatesPresented => "no_client_certificate",
        rustls::Error::InvalidCertificate(_) => "bad_client_certificate",
        rustls::Error::PeerIncompatible(_) => "incompatible",
        rustls::Error::AlertReceived(_) => "alert_received",
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "not_tls"
        }
        _ => "other",
    }
}

/// Records one answered batch item. Labels are the spec's names (a fixed set: an unknown
/// code point from a client is `unknown`, so clients cannot grow the series without bound).
pub(crate) fn operation(operation: &'static str, result: &'static str, took: Duration) {
    metrics::histogram!(OPERATION_SECONDS, "operation" => operation).record(took.as_secs_f64());
    metrics::counter!(OPERATIONS, "operation" => operation, "result" => result).increment(1);
}
