//! `raftkeep kmip decode|encode`: convert one KMIP message between binary TTLV, hex, the KMIP
//! XML and JSON encodings, and a readable text tree; check it against the typed message layer.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use kmip_messages::Message as _;
use kmip_messages::{RequestMessage, ResponseMessage};
use kmip_text::Mode;
use kmip_ttlv::{Limits, Tag, Ttlv};

/// `raftkeep kmip` subcommands.
#[derive(Debug, Subcommand)]
pub enum KmipCommand {
    /// Decode a message for reading: from TTLV or hex (by default) to a text tree.
    Decode(#[command(flatten)] Convert),
    /// Encode a message for sending: from XML or JSON (by default) to hex.
    Encode(#[command(flatten)] Convert),
    /// Print the Argon2id hash of a KMIP user's password, read from standard input, for
    /// `[[kmip.users]] password_hash` (e.g. `read -rs P; printf %s "$P" | raftkeep kmip hash-password`).
    HashPassword,
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// Guess from the input: `<` is XML, `{` is JSON, hex digits are hex, else binary TTLV.
    Auto,
    /// Binary TTLV, as on the wire.
    Ttlv,
    /// TTLV as hex digits; whitespace and `#` comment lines are ignored.
    Hex,
    /// The KMIP XML encoding (KMIP Profiles §5.4).
    Xml,
    /// The KMIP JSON encoding (KMIP Profiles §5.5).
    Json,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable indented tree: names for enumerations and masks, dates in UTC, passwords hidden.
    Text,
    /// Binary TTLV, as on the wire.
    Ttlv,
    /// TTLV as hex digits.
    Hex,
    /// The KMIP XML encoding (KMIP Profiles §5.4).
    Xml,
    /// The KMIP JSON encoding (KMIP Profiles §5.5).
    Json,
}

/// Options shared by `decode` and `encode`.
#[derive(Debug, Args)]
pub struct Convert {
    /// Input file; standard input when absent or `-`.
    pub input: Option<PathBuf>,
    /// Input format.
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub from: InputFormat,
    /// Output format [default: text for decode, hex for encode].
    #[arg(long, value_enum)]
    pub to: Option<OutputFormat>,
    /// Output file; standard output when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Which message to take when the input holds several (an OASIS test-case file, a capture
    /// of consecutive messages), counting from 0.
    #[arg(long)]
    pub message: Option<usize>,
    /// Keep OASIS test-case placeholders (`$NOW`, `$UNIQUE_IDENTIFIER_0`) in XML/JSON input.
    /// Implied for XML documents wrapped in `<KMIP>`, as the OASIS test-case files are.
    #[arg(long)]
    pub test_case: bool,
    /// Fail unless the message is a valid KMIP request or response (not only valid TTLV).
    #[arg(long)]
    pub strict: bool,
    /// Largest message accepted, in bytes.
    #[arg(long, default_value_t = Limits::DEFAULT_MAX_MESSAGE_LEN)]
    pub max_bytes: usize,
}

/// Runs `raftkeep kmip ...`.
pub fn run(cmd: KmipCommand) -> anyhow::Result<()> {
    let (args, default_to) = match cmd {
        KmipCommand::Decode(a) => (a, OutputFormat::Text),
        KmipCommand::Encode(a) => (a, OutputFormat::Hex),
        KmipCommand::HashPassword => return hash_password(),
    };
    let input = read_input(args.input.as_ref())?;
    let limits = Limits {
        max_message_len: args.max_bytes,
        ..Limits::default()
    };
    let mode = if args.test_case {
        Mode::TestCase
    } else {
        Mode::Message
    };
    let messages = parse(&input, args.from, mode, &limits)?;
    let message = pick(messages, args.message)?;
    check_typed(&message, args.strict)?;
    let output = render(&message, args.to.unwrap_or(default_to))?;
    write_output(args.output.as_ref(), &output)
}

fn read_input(path: Option<&PathBuf>) -> anyhow::Result<Vec<u8>> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read standard input")?;
            Ok(buf)
        }
    }
}

/// Guesses the input format from its first non-blank byte.
pub fn detect(input: &[u8]) -> InputFormat {
    match input.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => InputFormat::Xml,
        Some(b'{') => InputFormat::Json,
        Some(_) if is_hex_text(input) => InputFormat::Hex,
        _ => InputFormat::Ttlv,
    }
}

fn is_hex_text(input: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(input) else {
        return false;
    };
    hex_digits(text).is_some_and(|d| !d.is_empty())
}

/// The hex digits of a hex dump: whitespace and `#` comment lines are dropped.
fn hex_digits(text: &str) -> Option<String> {
    let mut digits = String::new();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        for c in line.chars().filter(|c| !c.is_whitespace()) {
            if !c.is_ascii_hexdigit() {
                return None;
            }
            digits.push(c);
        }
    }
    Some(digits)
}

fn parse(
    input: &[u8],
    from: InputFormat,
    mode: Mode,
    limits: &Limits,
) -> anyhow::Result<Vec<Ttlv>> {
    match from {
        InputFormat::Auto => parse(input, detect(input), mode, limits),
        InputFormat::Ttlv => split_ttlv(input, limits),
        InputFormat::Hex => {
            let text = std::str::from_utf8(input).context("hex input is not text")?;
            let digits =
                hex_digits(text).context("hex input holds characters other than hex digits")?;
            let bytes = hex::decode(&digits).context("invalid hex")?;
            split_ttlv(&bytes, limits)
        }
        InputFormat::Xml => {
            let text = std::str::from_utf8(input).context("XML input is not UTF-8")?;
            let test_case_file = text
                .trim_start()
                .trim_start_matches(|c| c != '<')
                .starts_with("<KMIP>");
            let items = if mode == Mode::TestCase || test_case_file {
                kmip_text::from_xml_test_case(text)
            } else {
                kmip_text::xml::from_xml_document(text, mode)
            };
            items.context("invalid KMIP XML")
        }
        InputFormat::Json => {
            let text = std::str::from_utf8(input).context("JSON input is not UTF-8")?;
            Ok(vec![
                kmip_text::from_json(text, mode).context("invalid KMIP JSON")?,
            ])
        }
    }
}

/// Decodes consecutive messages from a byte buffer.
fn split_ttlv(bytes: &[u8], limits: &Limits) -> anyhow::Result<Vec<Ttlv>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut offset = 0;
    while !rest.is_empty() {
        let len = match kmip_ttlv::frame_len(rest, limits) {
            Ok(Some(len)) => len,
            Ok(None) => rest.len(),
            Err(e) => bail!(
                "invalid TTLV (message {}, starting at byte {offset}): {e}",
                out.len()
            ),
        };
        let (this, next) = rest.split_at(len);
        let item = kmip_ttlv::decode_message(this, limits).map_err(|e| {
            anyhow::anyhow!(
                "invalid TTLV (message {}, starting at byte {offset}): {e}",
                out.len()
            )
        })?;
        out.push(item);
        offset += len;
        rest = next;
    }
    if out.is_empty() {
        bail!("the input is empty");
    }
    Ok(out)
}

fn pick(mut messages: Vec<Ttlv>, index: Option<usize>) -> anyhow::Result<Ttlv> {
    let n = messages.len();
    match index {
        Some(i) if i < n => Ok(messages.swap_remove(i)),
        Some(i) => bail!("--message {i} is out of range: the input holds {n} message(s)"),
        None if n == 1 => Ok(messages.swap_remove(0)),
        None => bail!(
            "the input holds {n} messages; choose one with --message 0..{}",
            n - 1
        ),
    }
}

/// Checks a request or response against the typed message layer. A tree that is valid TTLV
/// but not a valid message is reported on standard error, and is fatal with `--strict`.
fn check_typed(message: &Ttlv, strict: bool) -> anyhow::Result<()> {
    let unbound = kmip_text::placeholders::placeholders(message).len();
    if unbound > 0 {
        eprintln!(
            "note: {unbound} test-case placeholder(s) left in the message; not checked as a KMIP message"
        );
        return Ok(());
    }
    let result = match message.tag {
        Tag::REQUEST_MESSAGE => RequestMessage::from_ttlv(message).map(|_| ()),
        Tag::RESPONSE_MESSAGE => ResponseMessage::from_ttlv(message).map(|_| ()),
        _ if strict => bail!("not a KMIP message: the outermost tag is {}", message.tag),
        _ => return Ok(()),
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if strict => Err(e).context("not a valid KMIP message"),
        Err(e) => {
            eprintln!("warning: valid TTLV but not a valid KMIP message: {e}");
            Ok(())
        }
    }
}

fn render(message: &Ttlv, to: OutputFormat) -> anyhow::Result<Vec<u8>> {
    Ok(match to {
        OutputFormat::Text => kmip_text::to_text(message).into_bytes(),
        OutputFormat::Xml => kmip_text::to_xml(message).into_bytes(),
        OutputFormat::Json => (kmip_text::to_json(message) + "\n").into_bytes(),
        OutputFormat::Hex => (hex::encode(encode(message)?) + "\n").into_bytes(),
        OutputFormat::Ttlv => encode(message)?,
    })
}

fn encode(message: &Ttlv) -> anyhow::Result<Vec<u8>> {
    kmip_ttlv::encode(message)
        .context("cannot encode as TTLV (test-case placeholders must be replaced first)")
}

fn write_output(path: Option<&PathBuf>, bytes: &[u8]) -> anyhow::Result<()> {
    if let Some(p) = path {
        return std::fs::write(p, bytes).with_context(|| format!("cannot write {}", p.display()));
    }
    let mut out = std::io::stdout().lock();
    let binary = std::str::from_utf8(bytes).is_err();
    if binary && out.is_terminal() {
        bail!("refusing to write binary TTLV to a terminal; use --output FILE or --to hex");
    }
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("cannot write standard output")
}

/// `raftkeep kmip hash-password`: one line of standard input (its line ending removed).
fn hash_password() -> anyhow::Result<()> {
    let mut password = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let trimmed = password.trim_end_matches(['\r', '\n']);
    if trimmed.is_empty() {
        anyhow::bail!("no password on standard input");
    }
    let hash = raftkeep_server::credentials::hash_password(trimmed).map_err(anyhow::Error::msg)?;
    writeln!(std::io::stdout(), "{hash}")?;
    Ok(())
}
