//! The KMIP listener: accepts TLS connections up to a limit, runs one session per connection,
//! and on shutdown stops accepting, tells every session to finish its current request, and
//! waits for them (bounded). With a gate, it resets every new connection while the gate is
//! shut — before any byte is exchanged, as a server that is down — and serves them again when
//! it opens. The socket stays bound meanwhile, so no other process can take the port.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kmip_ttlv::Limits;
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::engine::Handler;
use crate::{ServerError, session};

/// Limits and timeouts of the KMIP listener.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Message size, nesting and item limits.
    pub limits: Limits,
    /// Connections served at once; more are closed at accept.
    pub max_connections: usize,
    /// How long the TLS handshake may take.
    pub handshake_timeout: Duration,
    /// How long a connection may wait between requests before it is closed.
    pub idle_timeout: Duration,
    /// How long the rest of a started request may take to arrive.
    pub read_timeout: Duration,
    /// How long writing a response may take.
    pub write_timeout: Duration,
    /// How long shutdown waits for sessions to finish.
    pub shutdown_grace: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            limits: Limits::default(),
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// How requests travel on a listener's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TTLV messages framed on the TLS stream (port 5696).
    Ttlv,
    /// HTTP/1.1 POSTs of TTLV, XML or JSON messages (the `https` module).
    Https,
}

/// A bound KMIP listener, not yet serving.
pub struct KmipListener {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    settings: Arc<Settings>,
    transport: Transport,
    gate: Option<watch::Receiver<bool>>,
    listening: watch::Sender<bool>,
}

impl std::fmt::Debug for KmipListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KmipListener")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl KmipListener {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn bind(
        addr: SocketAddr,
        tls: Arc<ServerConfig>,
        settings: Settings,
    ) -> Result<Self, ServerError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: addr.to_string(),
                source,
            })?;
        Ok(KmipListener {
            listener,
            acceptor: TlsAcceptor::from(tls),
            settings: Arc::new(settings),
            transport: Transport::Ttlv,
            gate: None,
            listening: watch::Sender::new(true),
        })
    }

    /// True while the listener serves new connections (see [`KmipListener::gated`]).
    pub fn listening(&self) -> watch::Receiver<bool> {
        self.listening.subscribe()
    }

    /// The same listener, serving new connections only while `open` is true: a node that
    /// can serve nothing resets them, so that every client moves on at once.
    pub fn gated(mut self, open: watch::Receiver<bool>) -> Self {
        self.listening.send_replace(*open.borrow());
        self.gate = Some(open);
        self
    }

    /// The same listener carrying KMIP over HTTPS instead of framed TTLV.
    pub fn https(mut self) -> Self {
        self.transport = Transport::Https;
        self
    }

    /// The bound address.
    pub fn local_addr(&self) -> Result<SocketAddr, ServerError> {
        self.listener
            .local_addr()
            .map_err(|source| ServerError::Bind {
                addr: "the KMIP listener".to_owned(),
                source,
            })
    }

    /// Serves connections with `handler` until `shutdown` completes.
    pub async fn serve<H: Handler>(self, handler: Arc<H>, shutdown: impl Future<Output = ()>) {
        let permits = Arc::new(Semaphore::new(self.settings.max_connections));
        let (stop, stopped) = watch::channel(false);
        let mut sessions = JoinSet::new();
        let listener = self.listener;
        let mut gate = self.gate;
        let mut open = true;
        tokio::pin!(shutdown);
        loop {
            if let Some(g) = gate.as_mut() {
                let now = *g.borrow_and_update();
                if now != open {
                    open = now;
                    let addr = listener.local_addr().ok();
                    if open {
                        tracing::info!(
                            ?addr,
                            "this node can serve again: serving new KMIP connections"
                        );
                    } else {
                        tracing::warn!(
                            ?addr,
                            "this node can serve nothing now: resetting new KMIP connections"
                        );
                    }
                    metrics::gauge!(crate::observe::GATE_CLOSED).set(if open { 0.0 } else { 1.0 });
                    self.listening.send_replace(open);
                }
            }
            let gate_changed = async {
                match gate.as_mut() {
                    Some(g) => {
                        if g.changed().await.is_err() {
                            // The gate's owner is gone: leave it as it was.
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            let (tcp, peer) = tokio::select! {
                () = &mut shutdown => break,
                () = gate_changed => continue,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: pause instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                // Reap finished sessions so the set does not grow without bound.
                Some(_) = sessions.join_next(), if !sessions.is_empty() => continue,
            };
            if !open {
                // A reset before any byte: to the client, a server that is down.
                if let Err(e) = tcp.set_zero_linger() {
                    tracing::debug!(%peer, error = %e, "cannot set SO_LINGER");
                }
                metrics::counter!(crate::observe::CONNECTIONS_RESET).increment(1);
                drop(tcp);
                continue;
            }
            // vCenter opens a connection per operation: a Nagle / delayed-ACK stall on the first
            // response would be the latency its users feel.
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(%peer, error = %e, "cannot set TCP_NODELAY");
            }
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                tracing::warn!(%peer, limit = self.settings.max_connections, "connection limit reached; closing");
                metrics::counter!(crate::observe::CONNECTIONS_REFUSED).increment(1);
                drop(tcp);
                continue;
            };
            let (acceptor, handler, settings, stopped) = (
                self.acceptor.clone(),
                handler.clone(),
                self.settings.clone(),
                stopped.clone(),
            );
            let transport = self.transport;
            sessions.spawn(async move {
                match transport {
                    Transport::Ttlv => {
                        session::serve(tcp, acceptor, handler, settings, stopped).await
                    }
                    Transport::Https => {
                        crate::https::serve(tcp, acceptor, handler, settings, stopped).await
                    }
                }
                drop(permit);
            });
        }
        tracing::info!(sessions = sessions.len(), "KMIP listener stopping");
        let _ = stop.send(true);
        let drained = tokio::time::timeout(self.settings.shutdown_grace, async {
            while sessions.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            sessions.abort_all();
        }
    }
}
