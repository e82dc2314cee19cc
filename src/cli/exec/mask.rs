//! `--mask-output` of `exec-env` and `exec-file`: the command writes into pipes, and a thread
//! per pipe passes what it writes on to secret's own stdout or stderr through a
//! [`StreamMasker`].

use crate::error::{Code, Error, Result};
use crate::mask::stream::{github_add_mask, pump, Secrets, StreamMasker};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use zeroize::Zeroizing;

/// What `--mask-output` masks, and how.
pub(super) struct Masking {
    secrets: Arc<Secrets>,
    /// `::add-mask::` commands for the GitHub Actions runner (empty elsewhere).
    github: Zeroizing<Vec<u8>>,
}

impl Masking {
    pub(super) fn new(values: &[Zeroizing<Vec<u8>>]) -> Result<Masking> {
        let values: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
        let in_github = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
        Ok(Masking {
            secrets: Arc::new(Secrets::new(values.iter().copied())?),
            github: Zeroizing::new(if in_github {
                github_add_mask(&values)
            } else {
                Vec::new()
            }),
        })
    }

    /// Registers the values with the GitHub Actions runner (when running in one) and makes
    /// `cmd` write its output into pipes.
    pub(super) fn prepare(&self, cmd: &mut Command) -> Result<()> {
        if !self.github.is_empty() {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(&self.github)
                .and_then(|_| out.flush())
                .map_err(|e| {
                    Error::new(
                        Code::Generic,
                        format!("cannot write the ::add-mask:: commands to stdout: {e}"),
                    )
                })?;
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        Ok(())
    }

    /// Passes the child's stdout and stderr on to ours, masked, each by its own thread.
    pub(super) fn pass_on(&self, child: &mut Child) -> Vec<std::thread::JoinHandle<()>> {
        let stream = |from: Option<Box<dyn std::io::Read + Send>>,
                      to: Box<dyn std::io::Write + Send>| {
            let masker = StreamMasker::new(self.secrets.clone());
            from.map(|from| {
                std::thread::spawn(move || {
                    // A failed write means our reader went away: the command sees its pipe
                    // closed, as it would without masking.
                    let _ = pump(from, to, masker);
                })
            })
        };
        [
            stream(
                child.stdout.take().map(|o| Box::new(o) as _),
                Box::new(std::io::stdout()),
            ),
            stream(
                child.stderr.take().map(|e| Box::new(e) as _),
                Box::new(std::io::stderr()),
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// `--mask-output` cannot work when secret does not stay between the command and the output.
pub(super) fn refuse_mask_with(flag: &str) -> Error {
    Error::new(
        Code::ConflictingParameters,
        format!(
            "--mask-output cannot be used with --{flag}: the output would not pass through secret"
        ),
    )
}
