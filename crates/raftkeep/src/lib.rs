//! The `raftkeep` command line: one binary for operators, with a subcommand per job.
//! Today: `raftkeep server` (run a node), `raftkeep cluster` (initialize, status, membership),
//! `raftkeep clients` (the KMIP client allow-list), `raftkeep access` (grants on objects), `raftkeep audit` (verify, tail),
//! `raftkeep certs` (cluster CA and node certificates), `raftkeep kmip decode|encode`
//! (KMIP messages between TTLV, hex, XML, JSON and a readable tree) and `raftkeep
//! conformance` (OASIS profile test cases against a live server). Later issues add `dev`,
//! `keys`, ...
//!
//! # Layout
//!
//! - [`server`] — `raftkeep server`: one node until a signal.
//! - [`cluster`] — `raftkeep cluster`: the admin API's command line.
//! - `recover` — `raftkeep cluster recover`: a new cluster from a survivor's store.
//! - [`certs`] — `raftkeep certs`: the cluster CA and the certificates it issues.
//! - [`clients`] — `raftkeep clients`: the allow-list, certificates mapped to client identities.
//! - [`access`] — `raftkeep access`: grants on one object to identities other than its owner.
//! - [`objects`] — `raftkeep objects`: every object and its owner; bulk moves between identities.
//! - [`audit`] — `raftkeep audit`: verify and tail a node's audit log.
//! - [`backup`] — `raftkeep backup`: online backups, checked and restored offline.
//! - [`kmip`] — `raftkeep kmip`: message conversion.
//! - [`root_key`] — `raftkeep root-key`: generate, split among custodians, combine.
//! - [`conformance`] — `raftkeep conformance`: OASIS test cases against a live server.
//! - [`drill`] — `raftkeep drill`: backup, restore, serve and compare, against production.
//! - [`dev`] — `raftkeep dev`: a local 3-node cluster with generated certificates.
//! - [`bench`] — `raftkeep bench`: a KMIP load generator with latency percentiles.
//! - [`keys`] — `raftkeep keys`: key management over KMIP with failover.
//! - [`connect`] — how `keys` finds the cluster: flags, environment, client.toml.
//! - [`kmip_conn`] — a KMIP connection over TLS for the commands that talk KMIP.
//! - [`hints`] — the command that fixes an error a new user meets, printed after it.
//! - [`manual`] — `raftkeep completions` and `raftkeep man`, from the CLI definition.

pub mod access;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod certs;
pub mod clients;
pub mod cluster;
pub mod conformance;
pub mod connect;
pub mod dev;
pub mod drill;
pub mod hints;
pub mod keys;
pub mod kmip;
pub mod kmip_conn;
pub mod manual;
pub mod objects;
mod recover;
pub mod root_key;
pub mod server;

use clap::{Parser, Subcommand};

/// Raftkeep: a replicated KMIP key management server.
#[derive(Debug, Parser)]
#[command(name = "raftkeep", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a node (Raft, store and cluster endpoint) from its configuration file.
    Server(server::ServerArgs),
    /// Manage the cluster: init, status, add-learner, promote, remove-node, transfer-leader,
    /// rotate-root-key.
    Cluster(cluster::ClusterArgs),
    /// The allow-list of KMIP client certificates and the client identities they map to:
    /// allow, revoke, allow-ca, revoke-ca, list.
    Clients(clients::ClientsArgs),
    /// Access to one object for clients other than its owner: grant, revoke.
    Access(access::AccessArgs),
    /// Every object and its owner; move objects between client identities.
    Objects(objects::ObjectsArgs),
    /// Backups: create one from a running cluster, verify a file, restore into a new cluster.
    Backup(backup::BackupArgs),
    /// A node's audit log: verify its hash chain, tail it.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The cluster CA and the certificates it issues to nodes, operators and KMIP clients,
    /// each marked with its role; renewal.
    #[command(subcommand)]
    Certs(certs::CertsCommand),
    /// The root key: generate, split among custodians (Shamir), combine shares.
    #[command(subcommand)]
    RootKey(root_key::RootKeyCommand),
    /// Inspect and convert KMIP messages (TTLV, hex, XML, JSON, readable text).
    #[command(subcommand)]
    Kmip(kmip::KmipCommand),
    /// Run OASIS KMIP profile test cases against a server.
    Conformance(conformance::ConformanceArgs),
    /// Load a KMIP server: get, create, mixed or vCenter's sequence; latency percentiles
    /// and throughput.
    Bench(bench::BenchArgs),
    /// Disaster-recovery drill against a live cluster: online backup, restore into a
    /// temporary local node, a Get served by it, every object compared; exits 0 on a pass.
    Drill(drill::DrillArgs),
    /// Run a local 3-node cluster with generated certificates, ready for KMIP clients.
    Dev(dev::DevArgs),
    /// Manage keys over KMIP (create, get, list, ...) with vCenter-style failover.
    Keys(keys::KeysArgs),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell):
    /// `raftkeep completions bash > /etc/bash_completion.d/raftkeep`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (`raftkeep.1` and one per subcommand) into a directory.
    Man {
        /// Where (created if missing).
        #[arg(long, default_value = "man")]
        out_dir: std::path::PathBuf,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Server(args) => server::run(&args),
        Command::Cluster(args) => cluster::run(args),
        Command::Clients(args) => clients::run(args),
        Command::Access(args) => access::run(args),
        Command::Objects(args) => objects::run(args),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Backup(args) => backup::run(args),
        Command::Certs(cmd) => certs::run(cmd),
        Command::Kmip(cmd) => kmip::run(cmd),
        Command::RootKey(cmd) => root_key::run(cmd),
        Command::Conformance(args) => conformance::run(&args),
        Command::Keys(args) => keys::run(args),
        Command::Completions { shell } => manual::completions(shell),
        Command::Man { out_dir } => manual::man_pages(&out_dir),
        Command::Dev(args) => dev::run(&args),
        Command::Drill(args) => drill::run(&args),
        Command::Bench(args) => bench::run(&args),
    }
}

/// An error and its causes on one line, each cause once: many errors already include their
/// source in their own message, and the chain would print it again.
pub fn error_text(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

/// The exit status for an error (docs/client.md, "Exit codes"): 3 when a server refused the
/// request (a KMIP server, or a node's cluster endpoint), 4 when no server could answer (or
/// none could tell whether a change happened), 5 for an unusable client configuration or TLS
/// setup, 1 for anything else (clap exits 2 on a bad command line).
pub fn exit_code(error: &anyhow::Error) -> u8 {
    use raftkeep_client::ClientError;
    use raftkeep_net::NetError;
    if let Some(e) = error.downcast_ref::<ClientError>() {
        return match e {
            ClientError::Kmip { .. } => 3,
            ClientError::NoServer { .. } | ClientError::Unknown { .. } => 4,
            ClientError::Config(_) | ClientError::Tls(_) | ClientError::File { .. } => 5,
            _ => 1,
        };
    }
    match error.downcast_ref::<NetError>() {
        Some(NetError::Rpc { code, .. }) => match code {
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded => 4,
            _ => 3,
        },
        Some(NetError::ReadPem { .. } | NetError::Address { .. }) => 5,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cause_already_in_the_message_is_printed_once() {
        let io = std::io::Error::other("disk on fire");
        let e = anyhow::Error::new(io).context("reading x: disk on fire");
        assert_eq!(super::error_text(&e), "reading x: disk on fire");
        let e = anyhow::Error::new(std::io::Error::other("gone")).context("opening y");
        assert_eq!(super::error_text(&e), "opening y: gone");
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
