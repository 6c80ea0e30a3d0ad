//! `raftkeep root-key`: make a root key, split it among custodians (Shamir's secret sharing,
//! any `threshold` of `shares` rebuild it, fewer reveal nothing) and combine shares again at
//! start-up — e.g. as the node's `[root_key] command`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::certs::write_new;

/// A share file's one line: `raftkeep-share-1:<threshold>:<check>:<share>`, all hex. The
/// check (8 bytes of a hash of the key) tells a wrong or mixed-up set of shares from the key.
const SHARE_PREFIX: &str = "raftkeep-share-1";

/// `raftkeep root-key`.
#[derive(Debug, Subcommand)]
pub enum RootKeyCommand {
    /// Write a new random root key (64 hex digits, mode 0600) to a file that does not exist.
    Generate {
        /// The file to create.
        #[arg(long)]
        out: PathBuf,
    },
    /// Split a root key file into shares, one file per custodian (mode 0600, never
    /// overwritten); any THRESHOLD of them rebuild the key.
    Split(SplitArgs),
    /// Rebuild the root key from share files (or shares typed on standard input with
    /// `--stdin`) and print it in hex on standard output.
    Combine(CombineArgs),
}

/// `raftkeep root-key split`.
#[derive(Debug, Args)]
pub struct SplitArgs {
    /// The root key file (64 hex digits or 32 bytes).
    #[arg(long)]
    pub key: PathBuf,
    /// Number of shares (custodians), at most 255.
    #[arg(long)]
    pub shares: u8,
    /// Shares needed to rebuild the key, at least 2.
    #[arg(long)]
    pub threshold: u8,
    /// Directory for `share-1.txt` ... `share-N.txt` (created if missing).
    #[arg(long)]
    pub out_dir: PathBuf,
}

/// `raftkeep root-key combine`.
#[derive(Debug, Args)]
pub struct CombineArgs {
    /// Share files.
    pub files: Vec<PathBuf>,
    /// Also read shares from standard input, one per line, until an empty line or the end.
    #[arg(long)]
    pub stdin: bool,
}

/// Runs a `raftkeep root-key` command.
pub fn run(cmd: RootKeyCommand) -> anyhow::Result<()> {
    match cmd {
        RootKeyCommand::Generate { out } => generate(&out),
        RootKeyCommand::Split(args) => split(&args),
        RootKeyCommand::Combine(args) => combine(&args),
    }
}

fn generate(out: &Path) -> anyhow::Result<()> {
    let mut key = Zeroizing::new([0_u8; 32]);
    getrandom::getrandom(key.as_mut_slice()).context("the system random generator failed")?;
    write_new(
        out,
        Zeroizing::new(hex::encode(key.as_slice())).as_bytes(),
        true,
    )?;
    writeln!(
        std::io::stdout(),
        "wrote a new root key to {} (mode 0600)",
        out.display()
    )?;
    Ok(())
}

fn check_value(key: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"raftkeep root key share check");
    h.update(key);
    hex::encode(h.finalize().get(..8).unwrap_or_default())
}

fn read_key(path: &Path) -> anyhow::Result<Zeroizing<[u8; 32]>> {
    // The node's own parser: same formats and the same refusal of a file others can read.
    raftkeep_seal::RootKey::from_file(raftkeep_seal::KeyVersion(1), path)?;
    let content =
        Zeroizing::new(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?);
    let mut key = Zeroizing::new([0_u8; 32]);
    let text = std::str::from_utf8(&content).map(str::trim).unwrap_or("");
    if text.len() == 64 && hex::decode_to_slice(text, key.as_mut_slice()).is_ok() {
        return Ok(key);
    }
    let raw = <[u8; 32]>::try_from(content.as_slice())
        .map_err(|_| anyhow::anyhow!("{}: not a root key", path.display()))?;
    key.copy_from_slice(&raw);
    Ok(key)
}

fn split(args: &SplitArgs) -> anyhow::Result<()> {
    if args.threshold < 2 || args.threshold > args.shares {
        bail!(
            "need 2 <= --threshold ({}) <= --shares ({})",
            args.threshold,
            args.shares
        );
    }
    let key = read_key(&args.key)?;
    let check = check_value(key.as_slice());
    std::fs::create_dir_all(&args.out_dir)
        .with_context(|| format!("creating {}", args.out_dir.display()))?;
    let sharks = blahaj::Sharks(args.threshold);
    let mut out = std::io::stdout();
    for (i, share) in sharks
        .dealer(key.as_slice())
        .take(usize::from(args.shares))
        .enumerate()
    {
        let bytes = Zeroizing::new(Vec::from(&share));
        let line = Zeroizing::new(format!(
            "{SHARE_PREFIX}:{:02x}:{check}:{}\n",
            args.threshold,
            hex::encode(bytes.as_slice())
        ));
        let path = args.out_dir.join(format!("share-{}.txt", i + 1));
        write_new(&path, line.as_bytes(), true)?;
        writeln!(out, "{}", path.display())?;
    }
    writeln!(
        out,
        "{} shares, any {} rebuild the key. Give one to each custodian; keep none together \
         with the key.",
        args.shares, args.threshold
    )?;
    Ok(())
}

/// One parsed share line.
struct Share {
    origin: String,
    threshold: u8,
    check: String,
    share: blahaj::Share,
}

fn parse_share(line: &str, origin: &str) -> anyhow::Result<Share> {
    let bad = || anyhow::anyhow!("{origin}: not a Raftkeep root key share");
    let mut parts = line.trim().split(':');
    if parts.next() != Some(SHARE_PREFIX) {
        return Err(bad());
    }
    let (Some(threshold), Some(check), Some(data), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let threshold = u8::from_str_radix(threshold, 16).map_err(|_| bad())?;
    let bytes = Zeroizing::new(hex::decode(data).map_err(|_| bad())?);
    let share = blahaj::Share::try_from(bytes.as_slice()).map_err(|_| bad())?;
    Ok(Share {
        origin: origin.to_owned(),
        threshold,
        check: check.to_owned(),
        share,
    })
}

fn combine(args: &CombineArgs) -> anyhow::Result<()> {
    let mut shares = Vec::new();
    for f in &args.files {
        let text = Zeroizing::new(
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?,
        );
        shares.push(parse_share(&text, &f.display().to_string())?);
    }
    if args.stdin {
        for (n, line) in std::io::stdin().lock().lines().enumerate() {
            let line = Zeroizing::new(line.context("reading standard input")?);
            if line.trim().is_empty() {
                break;
            }
            shares.push(parse_share(
                &line,
                &format!("standard input, line {}", n + 1),
            )?);
        }
    }
    let Some(first) = shares.first() else {
        bail!("no shares given (files, or --stdin)");
    };
    let (threshold, check) = (first.threshold, first.check.clone());
    if shares
        .iter()
        .any(|s| s.threshold != threshold || s.check != check)
    {
        bail!("these shares come from different splits");
    }
    for (i, a) in shares.iter().enumerate() {
        let same = shares.iter().skip(i + 1).find(|b| {
            Zeroizing::new(Vec::from(&a.share)).first()
                == Zeroizing::new(Vec::from(&b.share)).first()
        });
        if let Some(b) = same {
            bail!(
                "{} and {} are the same share (a copy): each custodian's share counts once",
                a.origin,
                b.origin
            );
        }
    }
    if shares.len() < usize::from(threshold) {
        bail!("{} shares given, {threshold} needed", shares.len());
    }
    let parts: Vec<blahaj::Share> = shares.into_iter().map(|s| s.share).collect();
    let key = Zeroizing::new(
        blahaj::Sharks(threshold)
            .recover(parts.iter())
            .map_err(|e| anyhow::anyhow!("cannot rebuild the key: {e}"))?,
    );
    if key.len() != 32 || check_value(&key) != check {
        bail!(
            "the shares do not rebuild the key they were split from (a share is damaged or two are copies)"
        );
    }
    let mut out = std::io::stdout();
    out.write_all(Zeroizing::new(hex::encode(key.as_slice())).as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
