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
    /// Issue a certificate for a node (KMIP and cluster endpoints) or an operator, signed
    /// by the cluster CA. It serves both ends of a connection (server and client
    /// authentication): nodes dial each other.
    #[command(name = "issue-server", alias = "issue")]
    Issue(IssueArgs),
    /// Issue a KMIP client certificate (client authentication only) signed by the CA.
    IssueClient(IssueClientArgs),
    /// Sign a client's certificate signing request with the CA — vCenter's "KMS-signed
    /// CSR" trust mode: vCenter makes the CSR, you sign it here and upload the result.
    SignCsr(SignCsrArgs),
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
        CertsCommand::IssueClient(args) => issue_client(&args),
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
    issue_leaf(&args.dir, &args.name, &args.sans, args.days, server_ekus())?;
    print_issued(&args.dir, &args.name)
}

fn issue_client(args: &IssueClientArgs) -> anyhow::Result<()> {
    issue_leaf(&args.dir, &args.name, &[], args.days, client_ekus())?;
    print_issued(&args.dir, &args.name)
}

fn print_issued(dir: &Path, name: &str) -> anyhow::Result<()> {
    let path = |ext: &str| dir.join(format!("{name}.{ext}"));
    writeln!(std::io::stdout(), "certificate: {}", path("pem").display())?;
    writeln!(std::io::stdout(), "key:         {}", path("key").display())?;
    Ok(())
}

/// Usages of a node's certificate: it serves and dials.
pub fn server_ekus() -> Vec<ExtendedKeyUsagePurpose> {
    vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ]
}

/// Usages of a KMIP client's certificate.
pub fn client_ekus() -> Vec<ExtendedKeyUsagePurpose> {
    vec![ExtendedKeyUsagePurpose::ClientAuth]
}

/// The cluster CA as an issuer, from `ca.pem` and `ca.key` in `dir`.
fn ca_issuer(dir: &Path) -> anyhow::Result<Issuer<'static, KeyPair>> {
    let ca_pem = read(&dir.join("ca.pem"))?;
    let ca_key = KeyPair::from_pem(&read(&dir.join("ca.key"))?)
        .context("the CA key in ca.key does not parse")?;
    Issuer::from_ca_cert_pem(&ca_pem, ca_key).context("the CA certificate in ca.pem does not parse")
}

/// A new key and a certificate for it, signed by the CA in `dir`, as `NAME.pem`/`NAME.key`.
pub fn issue_leaf(
    dir: &Path,
    name: &str,
    sans: &[String],
    days: i64,
    ekus: Vec<ExtendedKeyUsagePurpose>,
) -> anyhow::Result<()> {
    let issuer = ca_issuer(dir)?;
    let key = KeyPair::generate().context("generating a key")?;
    let mut params = CertificateParams::new(sans.to_vec())
        .with_context(|| format!("not a DNS name or IP address in {sans:?}"))?;
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = ekus;
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
    csr.params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
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
