//! A root key fetched by a command at start-up (`[root_key] command = [...]`): the program
//! runs without a shell, its standard output is the key (64 hex digits or 32 raw bytes), and
//! it must finish within [`KEY_COMMAND_TIMEOUT`]. The output is wiped once parsed; the key
//! never reaches a log or an error message — only the command's name and exit status do.

use std::process::Stdio;
use std::time::Duration;

use raftkeep_seal::{KeyVersion, RootKey};
use zeroize::Zeroize;

use crate::error::NodeStartError;

/// How long the command may take (a secret manager asking for a second factor can be slow).
pub const KEY_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `argv` and reads its output as the root key `version`.
pub async fn run(version: KeyVersion, argv: &[String]) -> Result<RootKey, NodeStartError> {
    let shown = argv.join(" ");
    let fail = |reason: String| NodeStartError::RootKeyCommand {
        command: shown.clone(),
        reason,
    };
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| fail("no program given".to_owned()))?;
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail(format!("cannot run it: {e}")))?;
    let mut out = match tokio::time::timeout(KEY_COMMAND_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => return Err(fail(format!("reading its output: {e}"))),
        Err(_) => {
            return Err(fail(format!(
                "did not finish within {} s",
                KEY_COMMAND_TIMEOUT.as_secs()
            )));
        }
    };
    if !out.status.success() {
        out.stdout.zeroize();
        let said = String::from_utf8_lossy(&out.stderr);
        let first = said
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>();
        return Err(fail(format!("it exited with {}: {first}", out.status)));
    }
    let key = RootKey::parse(version, &out.stdout, &format!("command `{shown}`"))
        .map_err(NodeStartError::RootKey);
    out.stdout.zeroize();
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[tokio::test]
    async fn a_command_printing_the_key_in_hex_gives_it() {
        let hex = "11".repeat(32);
        let key = run(KeyVersion(3), &argv(&["printf", "%s\\n", &hex]))
            .await
            .unwrap();
        assert_eq!(key.version(), KeyVersion(3));
    }

    #[tokio::test]
    async fn a_failing_or_missing_command_is_named_without_its_output() {
        let err = run(
            KeyVersion(1),
            &argv(&["sh", "-c", "echo $((40 + 2))00; echo denied >&2; exit 3"]),
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("sh -c") && err.contains("denied") && err.contains('3'),
            "{err}"
        );
        // What it printed (4200) is not repeated.
        assert!(!err.contains("4200"), "{err}");
        let err = run(KeyVersion(1), &argv(&["/nonexistent/vault"]))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/vault") && err.contains("cannot run"),
            "{err}"
        );
        let err = run(KeyVersion(1), &argv(&["sh", "-c", "echo $((6 * 7))xyz"]))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("256-bit") && !err.contains("42xyz"), "{err}");
    }
}
