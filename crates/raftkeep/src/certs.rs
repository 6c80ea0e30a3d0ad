//! `raftkeep certs`: the cluster CA and the certificates it issues — to nodes, operators and
//! KMIP clients, each marked with its role (`raftkeep_net::roles`): the cluster endpoint
//! serves nodes and operators only. PEM files; private keys are written with mode 0600 and
//! never printed.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use std::io::Write as _;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use raftkeep_net::Role;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// Certificate management.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Create a cluster CA (`ca.pem`, `ca.key`) in a directory.
    Init(InitArgs),
    /// Issue a node's certificate (cluster and KMIP endpoints; server and client
    /// authentication: nodes dial each other), marked with the role `node`.
    #[command(name = "issue-node", aliases = ["issue-server", "issue"])]
    Issue(IssueArgs),
    /// Issue an operator's certificate (for `raftkeep cluster`, `clients`, `access`,
    /// `backup`, ...), marked with the role `operator`. KMIP clients cannot use it.
    IssueOperator(IssueClientArgs),
    /// Issue a KMIP client certificate (client authentication only), marked with the role
    /// `kmip-client`: the KMIP port accepts it once allowed, the cluster endpoint never.
    IssueClient(IssueClientArgs),
    /// Sign a KMIP client's certificate signing request — vCenter's "KMS-signed CSR" trust
    /// mode: vCenter makes the CSR, you sign it here and upload the result. Marked
    /// `kmip-client`.
    SignCsr(SignCsrArgs),
    /// Renew a certificate the CA issued: the same subject, names and role, valid for
    /// `--days` from now; the old files are kept beside the new ones (`NAME.pem.old`, ...).
    /// The key is kept unless `--new-key` (a fresh one is the safer habit).
    Renew(RenewArgs),
    /// Print the SHA-256 fingerprint of a PEM certificate, as the allow-list shows it.
    Fingerprint {
        /// The certificate (PEM; the first one in the file).
        cert: PathBuf,
    },
}

/// `raftkeep certs issue-client`.
#[derive(Debug, Args)]
pub struct IssueClientArgs {
    /// Directory holding the CA (`ca.pem`, `ca.key`); the new files go there too.
    #[arg(long)]
    pub dir: PathBuf,
    /// Common name and file stem (`NAME.pem`, `NAME.key`).
    #[arg(long)]
    pub name: String,
    /// Validity in days.
    #[arg(long, default_value_t = 825)]
    pub days: i64,
}

/// The kind of certificate to renew.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    /// A node's (`issue-node`).
    Node,
    /// An operator's (`issue-operator`).
    Operator,
    /// A KMIP client's (`issue-client`).
    Client,
}

impl Kind {
    fn role(self) -> Role {
        match self {
            Kind::Node => Role::Node,
            Kind::Operator => Role::Operator,
            Kind::Client => Role::KmipClient,
        }
    }
}

/// `raftkeep certs renew`.
#[derive(Debug, Args)]
pub struct RenewArgs {
    /// What the certificate is for.
    #[arg(value_enum)]
    pub kind: Kind,
    /// Directory holding the CA (`ca.pem`, `ca.key`) and `NAME.pem` / `NAME.key`.
    #[arg(long)]
    pub dir: PathBuf,
    /// The file stem of the certificate to renew.
    #[arg(long)]
    pub name: String,
    /// Make a new private key too (the old one is kept as `NAME.key.old`).
    #[arg(long)]
    pub new_key: bool,
    /// Validity in days from now.
    #[arg(long, default_value_t = 825)]
    pub days: i64,
}

/// `raftkeep certs sign-csr`.
#[derive(Debug, Args)]
pub struct SignCsrArgs {
    /// Directory holding the CA (`ca.pem`, `ca.key`).
    #[arg(long)]
    pub dir: PathBuf,
    /// The certificate signing request (PEM), e.g. the one vCenter generated.
    #[arg(long)]
    pub csr: PathBuf,
    /// Where to write the signed certificate (PEM); never overwritten.
    #[arg(long)]
    pub out: PathBuf,
    /// Validity in days.
    #[arg(long, default_value_t = 825)]
    pub days: i64,
}

/// `raftkeep certs init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory for `ca.pem` and `ca.key` (created if missing).
    #[arg(long)]
    pub dir: PathBuf,
    /// The CA's common name.
    #[arg(long, default_value = "Raftkeep cluster CA")]
    pub name: String,
    /// Validity in days.
    #[arg(long, default_value_t = 3650)]
    pub days: i64,
}

/// `raftkeep certs issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Directory holding the CA (`ca.pem`, `ca.key`); the new files go there too.
    #[arg(long)]
    pub dir: PathBuf,
    /// Common name and file stem (`NAME.pem`, `NAME.key`).
    #[arg(long)]
    pub name: String,
    /// A DNS name or IP address the holder is reached at (repeat for several).
    #[arg(long = "san")]
    pub sans: Vec<String>,
    /// Validity in days.
    #[arg(long, default_value_t = 825)]
    pub days: i64,
}

/// Runs a `raftkeep certs` command.
pub fn run(cmd: CertsCommand) -> anyhow::Result<()> {
    match cmd {
        CertsCommand::Init(args) => {
            init(&args)?;
            writeln!(
                std::io::stdout(),
                "cluster CA: {}",
                args.dir.join("ca.pem").display()
            )?;
            writeln!(
                std::io::stdout(),
                "CA key:     {} (keep it offline once nodes are issued)",
                args.dir.join("ca.key").display()
            )?;
            Ok(())
        }
        CertsCommand::Issue(args) => issue(&args),
        CertsCommand::IssueOperator(args) => {
            issue_leaf(&args.dir, &args.name, &[], args.days, Role::Operator)?;
            print_issued(&args.dir, &args.name)
        }
        CertsCommand::IssueClient(args) => {
            issue_leaf(&args.dir, &args.name, &[], args.days, Role::KmipClient)?;
            print_issued(&args.dir, &args.name)
        }
        CertsCommand::Renew(args) => renew(&args),
        CertsCommand::SignCsr(args) => sign_csr(&args),
        CertsCommand::Fingerprint { cert } => {
            // The same identity the allow-list records.
            let id = crate::clients::identity(&cert)?;
            writeln!(
                std::io::stdout(),
                "sha256:{}  {}",
                id.fingerprint,
                id.subject
            )?;
            Ok(())
        }
    }
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = OffsetDateTime::now_utc();
    // A little slack for clocks that lag behind the issuer's.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
}

pub fn init(args: &InitArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let key = KeyPair::generate().context("generating the CA key")?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, &args.name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    validity(&mut params, args.days);
    let cert = params.self_signed(&key).context("signing the CA")?;
    let (cert_path, key_path) = (args.dir.join("ca.pem"), args.dir.join("ca.key"));
    write_new(&key_path, key.serialize_pem().as_bytes(), true)?;
    write_new(&cert_path, cert.pem().as_bytes(), false)?;
    Ok(())
}

fn issue(args: &IssueArgs) -> anyhow::Result<()> {
    if args.sans.is_empty() {
        bail!(
            "give at least one --san: the name or address peers use to reach {}",
            args.name
        );
    }
    issue_leaf(&args.dir, &args.name, &args.sans, args.days, Role::Node)?;
    print_issued(&args.dir, &args.name)
}

fn print_issued(dir: &Path, name: &str) -> anyhow::Result<()> {
    let path = |ext: &str| dir.join(format!("{name}.{ext}"));
    writeln!(std::io::stdout(), "certificate: {}", path("pem").display())?;
    writeln!(std::io::stdout(), "key:         {}", path("key").display())?;
    Ok(())
}

/// Usages of a certificate of `role`: a node serves and dials, the others only dial.
fn ekus(role: Role) -> Vec<ExtendedKeyUsagePurpose> {
    match role {
        Role::Node => vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
        Role::Operator | Role::KmipClient => vec![ExtendedKeyUsagePurpose::ClientAuth],
    }
}

/// Marks `params` with `role` (a URI among the subject alternative names).
fn mark(params: &mut CertificateParams, role: Role) -> anyhow::Result<()> {
    params
        .subject_alt_names
        .retain(|n| !matches!(n, SanType::URI(u) if u.as_str().starts_with(raftkeep_net::roles::ROLE_URI_PREFIX)));
    let uri = role.uri();
    params.subject_alt_names.push(SanType::URI(
        uri.as_str()
            .try_into()
            .with_context(|| format!("{uri} is not an IA5 string"))?,
    ));
    params.extended_key_usages = ekus(role);
    Ok(())
}

/// The cluster CA as an issuer, from `ca.pem` and `ca.key` in `dir`.
fn ca_issuer(dir: &Path) -> anyhow::Result<Issuer<'static, KeyPair>> {
    let ca_pem = read(&dir.join("ca.pem"))?;
    let ca_key = KeyPair::from_pem(&read(&dir.join("ca.key"))?)
        .context("the CA key in ca.key does not parse")?;
    Issuer::from_ca_cert_pem(&ca_pem, ca_key).context("the CA certificate in ca.pem does not parse")
}

/// A new key and a certificate of `role` for it, signed by the CA in `dir`, as
/// `NAME.pem`/`NAME.key`.
pub fn issue_leaf(
    dir: &Path,
    name: &str,
    sans: &[String],
    days: i64,
    role: Role,
) -> anyhow::Result<()> {
    let issuer = ca_issuer(dir)?;
    let key = KeyPair::generate().context("generating a key")?;
    let mut params = CertificateParams::new(sans.to_vec())
        .with_context(|| format!("not a DNS name or IP address in {sans:?}"))?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    mark(&mut params, role)?;
    validity(&mut params, days);
    let cert = params.signed_by(&key, &issuer).context("signing")?;
    let cert_path = dir.join(format!("{name}.pem"));
    let key_path = dir.join(format!("{name}.key"));
    write_new(&key_path, key.serialize_pem().as_bytes(), true)?;
    write_new(&cert_path, cert.pem().as_bytes(), false)?;
    Ok(())
}

/// Signs a CSR as a client certificate: the subject and names the requester asked for, the
/// CA's validity and usages (client authentication; the requester's key never leaves it).
fn sign_csr(args: &SignCsrArgs) -> anyhow::Result<()> {
    let issuer = ca_issuer(&args.dir)?;
    let mut csr = rcgen::CertificateSigningRequestParams::from_pem(&read(&args.csr)?)
        .with_context(|| {
            format!(
                "{}: not a PEM certificate signing request with a valid signature",
                args.csr.display()
            )
        })?;
    csr.params.is_ca = IsCa::ExplicitNoCa;
    csr.params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    mark(&mut csr.params, Role::KmipClient)?;
    validity(&mut csr.params, args.days);
    let cert = csr.signed_by(&issuer).context("signing the CSR")?;
    write_new(&args.out, cert.pem().as_bytes(), false)?;
    let subject = x509_parser::parse_x509_certificate(cert.der())
        .map(|(_, c)| c.subject().to_string())
        .unwrap_or_default();
    writeln!(
        std::io::stdout(),
        "signed certificate for {subject:?}: {} (upload it to the client; allow it with          `raftkeep clients allow {}` or trust the CA with `raftkeep clients allow-ca`)",
        args.out.display(),
        args.out.display()
    )?;
    Ok(())
}

/// Re-issues `NAME.pem` with its subject and names, the role of `kind`, and a new validity;
/// the old certificate (and key, with `--new-key`) stay as `.old` files.
fn renew(args: &RenewArgs) -> anyhow::Result<()> {
    let issuer = ca_issuer(&args.dir)?;
    let cert_path = args.dir.join(format!("{}.pem", args.name));
    let key_path = args.dir.join(format!("{}.key", args.name));
    let old_pem = read(&cert_path)?;
    let der: rustls::pki_types::CertificateDer<'static> =
        rustls::pki_types::pem::PemObject::from_pem_slice(old_pem.as_bytes())
            .with_context(|| format!("{}: no PEM certificate", cert_path.display()))?;
    let mut params = same_names(&der)
        .with_context(|| format!("{}: cannot read the certificate", cert_path.display()))?;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    mark(&mut params, args.kind.role())?;
    validity(&mut params, args.days);
    let key = if args.new_key {
        KeyPair::generate().context("generating a key")?
    } else {
        KeyPair::from_pem(&read(&key_path)?)
            .with_context(|| format!("{}: not a private key", key_path.display()))?
    };
    let cert = params.signed_by(&key, &issuer).context("signing")?;
    let old = |path: &Path| PathBuf::from(format!("{}.old", path.display()));
    let replaced: Vec<&Path> = if args.new_key {
        vec![&cert_path, &key_path]
    } else {
        vec![&cert_path]
    };
    // Checked before anything moves: a renewal happens whole or not at all.
    if let Some(earlier) = replaced.iter().map(|p| old(p)).find(|o| o.exists()) {
        bail!(
            "{} exists, from an earlier renewal: remove an earlier .old first (once nothing uses it)",
            earlier.display()
        );
    }
    let keep = |path: &Path| -> anyhow::Result<()> {
        std::fs::rename(path, old(path))
            .with_context(|| format!("keeping {} as {}", path.display(), old(path).display()))
    };
    if args.new_key {
        keep(&key_path)?;
        write_new(&key_path, key.serialize_pem().as_bytes(), true)?;
    }
    keep(&cert_path)?;
    write_new(&cert_path, cert.pem().as_bytes(), false)?;
    let until = OffsetDateTime::now_utc() + Duration::days(args.days);
    writeln!(
        std::io::stdout(),
        "renewed {} (role {}, {}, valid until {}); the old certificate is {}.old",
        cert_path.display(),
        args.kind.role().name(),
        if args.new_key { "new key" } else { "same key" },
        until.date(),
        cert_path.display()
    )?;
    Ok(())
}

/// Parameters with the subject and the DNS and IP names of the certificate `der`.
fn same_names(der: &[u8]) -> anyhow::Result<CertificateParams> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    for attr in cert.subject().iter_attributes() {
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .context("an attribute type that is not an OID")?
            .collect();
        let value = attr
            .as_str()
            .context("a subject attribute that is not a string")?;
        params
            .distinguished_name
            .push(DnType::from_oid(&oid), value);
    }
    if let Some(san) = cert.subject_alternative_name()? {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(dns) => params
                    .subject_alt_names
                    .push(SanType::DnsName((*dns).try_into()?)),
                GeneralName::IPAddress(ip) => {
                    let ip = match ip.len() {
                        4 => <[u8; 4]>::try_from(*ip).map(std::net::IpAddr::from).ok(),
                        16 => <[u8; 16]>::try_from(*ip).map(std::net::IpAddr::from).ok(),
                        _ => None,
                    };
                    params.subject_alt_names.push(SanType::IpAddress(
                        ip.context("a malformed IP address name")?,
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(params)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes a file that must not exist yet (never overwrite a key); `secret` files get 0600.
pub fn write_new(path: &Path, content: &[u8], secret: bool) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).with_context(|| {
        format!(
            "creating {} (an existing file is never overwritten)",
            path.display()
        )
    })?;
    file.write_all(content)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
