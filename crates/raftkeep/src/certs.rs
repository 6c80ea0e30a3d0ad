//! `raftkeep certs`: the cluster CA and the certificates it issues (nodes, operators). PEM
//! files; private keys are written with mode 0600 and never printed.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use std::io::Write as _;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

/// Certificate management.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Create a cluster CA (`ca.pem`, `ca.key`) in a directory.
    Init(InitArgs),
    /// Issue a certificate for a node or an operator, signed by the cluster CA. It serves
    /// both ends of a connection (server and client authentication).
    Issue(IssueArgs),
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
        CertsCommand::Init(args) => init(&args),
        CertsCommand::Issue(args) => issue(&args),
    }
}

fn validity(params: &mut CertificateParams, days: i64) {
    let now = OffsetDateTime::now_utc();
    // A little slack for clocks that lag behind the issuer's.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
}

fn init(args: &InitArgs) -> anyhow::Result<()> {
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
    writeln!(std::io::stdout(), "cluster CA: {}", cert_path.display())?;
    writeln!(
        std::io::stdout(),
        "CA key:     {} (keep it offline once nodes are issued)",
        key_path.display()
    )?;
    Ok(())
}

fn issue(args: &IssueArgs) -> anyhow::Result<()> {
    if args.sans.is_empty() {
        bail!(
            "give at least one --san: the name or address peers use to reach {}",
            args.name
        );
    }
    let ca_pem = read(&args.dir.join("ca.pem"))?;
    let ca_key = KeyPair::from_pem(&read(&args.dir.join("ca.key"))?)
        .context("the CA key in ca.key does not parse")?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key)
        .context("the CA certificate in ca.pem does not parse")?;
    let key = KeyPair::generate().context("generating a key")?;
    let mut params = CertificateParams::new(args.sans.clone())
        .with_context(|| format!("not a DNS name or IP address in {:?}", args.sans))?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, &args.name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    validity(&mut params, args.days);
    let cert = params.signed_by(&key, &issuer).context("signing")?;
    let cert_path = args.dir.join(format!("{}.pem", args.name));
    let key_path = args.dir.join(format!("{}.key", args.name));
    write_new(&key_path, key.serialize_pem().as_bytes(), true)?;
    write_new(&cert_path, cert.pem().as_bytes(), false)?;
    writeln!(std::io::stdout(), "certificate: {}", cert_path.display())?;
    writeln!(std::io::stdout(), "key:         {}", key_path.display())?;
    Ok(())
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes a file that must not exist yet (never overwrite a key); `secret` files get 0600.
fn write_new(path: &Path, content: &[u8], secret: bool) -> anyhow::Result<()> {
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
