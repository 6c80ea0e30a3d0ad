//! `raftkeep completions` and `raftkeep man`: shell completions and man pages generated from
//! the command-line definition itself, so they cannot drift from it (the Dockerfile installs
//! both).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::CommandFactory;

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let mut cmd = crate::Cli::command();
    // Into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "raftkeep", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(())
}

/// Writes `raftkeep.1` and one page per subcommand (`raftkeep-keys.1`,
/// `raftkeep-keys-create.1`, ...) into `dir`; prints how many.
pub fn man_pages(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let cmd = crate::Cli::command();
    let mut written = 0;
    write_pages(&cmd, "raftkeep", dir, &mut written)?;
    writeln!(
        std::io::stdout(),
        "{written} man pages in {} (man -l {}/raftkeep.1)",
        dir.display(),
        dir.display()
    )?;
    Ok(())
}

fn write_pages(
    cmd: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut usize,
) -> anyhow::Result<()> {
    let cmd = cmd.clone().name(name.to_owned());
    let path: PathBuf = dir.join(format!("{name}.1"));
    let mut file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    clap_mangen::Man::new(cmd.clone())
        .render(&mut file)
        .with_context(|| format!("writing {}", path.display()))?;
    *written += 1;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}
