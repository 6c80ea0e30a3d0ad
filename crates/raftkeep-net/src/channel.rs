//! gRPC channels to peers, over mutual TLS when the cluster has it.

use std::time::Duration;

use tonic::transport::{Channel, Endpoint};

use crate::{ClusterTls, NetError};

/// How long a peer may take to accept a connection before it counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The host part of `host:port` (`[v6]:port` included), as a certificate would name it.
fn host_of(addr: &str) -> &str {
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    host.trim_start_matches('[').trim_end_matches(']')
}

/// A lazily connected channel to `addr` (`host:port`); TLS with the cluster identity if
/// given, plaintext otherwise (only tests on loopback run without).
pub fn channel(addr: &str, tls: Option<&ClusterTls>) -> Result<Channel, NetError> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let bad = |e: tonic::transport::Error| {
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        NetError::Address {
            addr: addr.to_owned(),
            reason,
        }
    };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))
        .map_err(bad)?
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_nodelay(true);
    if let Some(tls) = tls {
        endpoint = endpoint
            .tls_config(tls.client(host_of(addr)))
            .map_err(bad)?;
    }
    Ok(endpoint.connect_lazy())
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn host_of_strips_port_and_brackets() {
        assert_eq!(host_of("127.0.0.1:7001"), "127.0.0.1");
        assert_eq!(host_of("[::1]:7001"), "::1");
        assert_eq!(host_of("node-a.example:7001"), "node-a.example");
    }
}

/// Where to reach some nodes instead of the address they advertise (`cluster.dial`: NAT, port
/// forwarding, a proxy in between).
#[derive(Debug, Clone, Default)]
pub struct Dial(std::sync::Arc<std::collections::BTreeMap<raftkeep_store::NodeId, String>>);

impl Dial {
    /// Node id → `host:port`.
    pub fn new(map: std::collections::BTreeMap<raftkeep_store::NodeId, String>) -> Self {
        Dial(std::sync::Arc::new(map))
    }

    /// The address to dial node `id` at, which advertises `advertised`.
    pub fn addr(&self, id: raftkeep_store::NodeId, advertised: &str) -> String {
        self.0
            .get(&id)
            .cloned()
            .unwrap_or_else(|| advertised.to_owned())
    }
}
