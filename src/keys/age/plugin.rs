//! The terminal dialogue of age plugins and passphrase-protected keys.

use std::fs;
use std::io::{self, BufRead, Write};
use std::process::{Command, Stdio};

use age::secrecy::SecretString;
use zeroize::{Zeroize, Zeroizing};

/// Talks to the user on the terminal for passphrase-protected keys and plugins (sops'
/// `pluginTerminalUI` and passphrase prompts).
#[derive(Clone, Copy)]
pub(super) struct TerminalUi;

impl age::Callbacks for TerminalUi {
    fn display_message(&self, message: &str) {
        eprintln!("{message}");
    }

    fn confirm(&self, message: &str, yes_string: &str, no_string: Option<&str>) -> Option<bool> {
        let choices = match no_string {
            Some(no) => format!("[1] {yes_string} [2] {no}"),
            None => format!("[1] {yes_string}"),
        };
        let answer = tty_read_line(&format!("{message} {choices}: "), false)?;
        match answer.trim() {
            "1" => Some(true),
            "2" if no_string.is_some() => Some(false),
            _ => None,
        }
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        tty_read_line(&format!("{description} "), false).map(|s| s.to_string())
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        tty_read_line(&format!("{description} "), true)
            .map(|s| SecretString::from(s.trim_end_matches(['\r', '\n']).to_string()))
    }
}

/// Asks on the controlling terminal and reads one line (without echo if `secret`).
#[cfg(unix)]
fn tty_read_line(prompt: &str, secret: bool) -> Option<Zeroizing<String>> {
    let tty = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let stty = |arg: &str| -> bool {
        tty.try_clone()
            .ok()
            .and_then(|t| {
                Command::new("stty")
                    .arg(arg)
                    .stdin(Stdio::from(t))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .ok()
            })
            .is_some_and(|s| s.success())
    };
    if secret && !stty("-echo") {
        return None;
    }
    let mut out = &tty;
    let _ = out.write_all(prompt.as_bytes());
    let _ = out.flush();
    let mut line = Zeroizing::new(String::new());
    let read = io::BufReader::new(&tty).read_line(&mut line);
    if secret {
        stty("echo");
        let _ = out.write_all(b"\n");
    }
    read.ok()?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string());
    line.zeroize();
    Some(trimmed)
}

/// No terminal prompts on this platform: passphrase-protected keys cannot be used.
#[cfg(not(unix))]
fn tty_read_line(_prompt: &str, _secret: bool) -> Option<Zeroizing<String>> {
    None
}
