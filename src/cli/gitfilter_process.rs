//! git's long-running filter protocol (`filter.secret.process = secret git-filter process`,
//! pkt-line, version 2): one `secret` process cleans or smudges every file of a checkout or
//! an `git add`, instead of one process per file.

use super::gitfilter::{clean, smudge};
use super::io::Context;
use crate::error::{Code, Error, Result};
use std::io::{Read, Write};
use std::path::Path;

/// The largest payload of one pkt-line (git's LARGE_PACKET_DATA_MAX).
const MAX_PAYLOAD: usize = 65516;

/// Serves git on `input`/`output` until git closes the pipe. A file that fails to clean is
/// reported to git as an error (with `required = true`, git then refuses to stage it) and
/// named on stderr; the process goes on with the next file.
pub fn serve(ctx: &Context, top: &Path, input: impl Read, output: impl Write) -> Result<()> {
    let mut r = PktReader { input };
    let mut w = output;
    let hello = r.text_list()?.ok_or_else(|| protocol("no handshake"))?;
    if !hello.iter().any(|l| l == "git-filter-client") || !hello.iter().any(|l| l == "version=2") {
        return Err(protocol("expected git-filter-client, version=2"));
    }
    write_text(&mut w, &["git-filter-server", "version=2"])?;
    let offered = r.text_list()?.ok_or_else(|| protocol("no capabilities"))?;
    let ours: Vec<&str> = ["capability=clean", "capability=smudge"]
        .into_iter()
        .filter(|c| offered.iter().any(|o| o == c))
        .collect();
    write_text(&mut w, &ours)?;
    while let Some(header) = r.text_list()? {
        let field = |name: &str| {
            header
                .iter()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
                .unwrap_or("")
                .to_string()
        };
        let (command, path) = (field("command"), field("pathname"));
        let content = r.content()?;
        let path = Path::new(&path);
        let result = match command.as_str() {
            "clean" => clean(ctx, top, path, content),
            "smudge" => Ok(smudge(ctx, top, path, content)),
            other => Err(protocol(&format!("unknown command {other:?}"))),
        };
        match result {
            Ok(out) => {
                write_text(&mut w, &["status=success"])?;
                for chunk in out.chunks(MAX_PAYLOAD) {
                    write_pkt(&mut w, chunk)?;
                }
                write_flush(&mut w)?;
                // An empty list after the content: the status stays "success".
                write_flush(&mut w)?;
            }
            Err(e) => {
                eprintln!("secret: {}", e.message);
                write_text(&mut w, &["status=error"])?;
            }
        }
    }
    Ok(())
}

fn protocol(what: &str) -> Error {
    Error::new(
        Code::Generic,
        format!("git filter protocol: {what} (secret git-filter process is started by git)"),
    )
}

fn io_error(e: std::io::Error) -> Error {
    Error::new(
        Code::Generic,
        format!("git filter protocol: cannot talk to git: {e}"),
    )
}

/// Reads pkt-lines.
struct PktReader<R> {
    input: R,
}

impl<R: Read> PktReader<R> {
    /// One packet: `Some(None)` for a flush packet, `None` at the end of the input.
    fn packet(&mut self) -> Result<Option<Option<Vec<u8>>>> {
        let mut len = [0u8; 4];
        match self.input.read_exact(&mut len) {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            other => other.map_err(io_error)?,
        }
        let len = std::str::from_utf8(&len)
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok())
            .ok_or_else(|| protocol("bad packet length"))?;
        match len {
            0 => Ok(Some(None)),
            1..=4 => Err(protocol("bad packet length")),
            _ => {
                let mut data = vec![0u8; len - 4];
                self.input.read_exact(&mut data).map_err(io_error)?;
                Ok(Some(Some(data)))
            }
        }
    }

    /// Text packets up to a flush, without their line ends; `None` when git closed the pipe
    /// before the list started.
    fn text_list(&mut self) -> Result<Option<Vec<String>>> {
        let mut lines = Vec::new();
        loop {
            match self.packet()? {
                None if lines.is_empty() => return Ok(None),
                None => return Err(protocol("input ended inside a list")),
                Some(None) => return Ok(Some(lines)),
                Some(Some(data)) => {
                    let text = String::from_utf8_lossy(&data);
                    lines.push(text.strip_suffix('\n').unwrap_or(&text).to_string());
                }
            }
        }
    }

    /// Binary packets up to a flush, joined.
    fn content(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            match self.packet()? {
                None => return Err(protocol("input ended inside a file's content")),
                Some(None) => return Ok(out),
                Some(Some(data)) => out.extend_from_slice(&data),
            }
        }
    }
}

fn write_pkt(w: &mut impl Write, data: &[u8]) -> Result<()> {
    w.write_all(format!("{:04x}", data.len() + 4).as_bytes())
        .and_then(|()| w.write_all(data))
        .map_err(io_error)
}

fn write_flush(w: &mut impl Write) -> Result<()> {
    w.write_all(b"0000")
        .and_then(|()| w.flush())
        .map_err(io_error)
}

/// Text packets (each with a line end) and a flush.
fn write_text(w: &mut impl Write, lines: &[&str]) -> Result<()> {
    for l in lines {
        write_pkt(w, format!("{l}\n").as_bytes())?;
    }
    write_flush(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::GlobalArgs;

    fn pkt(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        write_pkt(&mut out, text.as_bytes()).unwrap();
        out
    }

    fn session(requests: &[(&str, &str, &[u8])]) -> Vec<u8> {
        let mut input = Vec::new();
        for l in ["git-filter-client\n", "version=2\n"] {
            input.extend(pkt(l));
        }
        input.extend(b"0000");
        for l in [
            "capability=clean\n",
            "capability=smudge\n",
            "capability=delay\n",
        ] {
            input.extend(pkt(l));
        }
        input.extend(b"0000");
        for (command, path, content) in requests {
            input.extend(pkt(&format!("command={command}\n")));
            input.extend(pkt(&format!("pathname={path}\n")));
            input.extend(b"0000");
            for chunk in content.chunks(MAX_PAYLOAD) {
                write_pkt(&mut input, chunk).unwrap();
            }
            input.extend(b"0000");
        }
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::new(GlobalArgs::default(), dir.path().to_path_buf());
        let mut output = Vec::new();
        serve(&ctx, dir.path(), &input[..], &mut output).unwrap();
        output
    }

    /// The packets of `bytes`, flushes as `None`.
    fn packets(bytes: &[u8]) -> Vec<Option<Vec<u8>>> {
        let mut r = PktReader { input: bytes };
        let mut out = Vec::new();
        while let Some(p) = r.packet().unwrap() {
            out.push(p);
        }
        out
    }

    fn text(p: &Option<Vec<u8>>) -> Option<String> {
        p.as_ref().map(|d| String::from_utf8_lossy(d).into_owned())
    }

    #[test]
    fn handshake_then_files_pass_through_in_packets() {
        // Neither a sops file nor plaintext under a rule: smudge passes plaintext through,
        // clean passes a sops file through (no key or config is needed for either).
        let big: Vec<u8> = (0..70000).map(|i| b'a' + (i % 26) as u8).collect();
        let encrypted = b"{\"data\": \"x\", \"sops\": {\"version\": \"3.11.0\"}}";
        let out = session(&[
            ("smudge", "notes.bin", &big),
            ("clean", "a.json", encrypted),
        ]);
        let p = packets(&out);
        let texts: Vec<Option<String>> = p.iter().map(text).collect();
        assert_eq!(
            texts[..6],
            [
                Some("git-filter-server\n".into()),
                Some("version=2\n".into()),
                None,
                Some("capability=clean\n".into()),
                Some("capability=smudge\n".into()),
                None,
            ]
        );
        assert_eq!(texts[6..8], [Some("status=success\n".into()), None]);
        // 70000 bytes: two packets, then the end of the content and the empty status list.
        assert_eq!(p[8].as_ref().unwrap().len(), MAX_PAYLOAD);
        assert_eq!([p[8].clone().unwrap(), p[9].clone().unwrap()].concat(), big);
        assert_eq!(p[10..12], [None, None]);
        assert_eq!(texts[12..14], [Some("status=success\n".into()), None]);
        assert_eq!(p[14].as_deref(), Some(&encrypted[..]));
        assert_eq!(p[15..], [None, None]);
    }

    #[test]
    fn a_file_that_fails_to_clean_is_an_error_for_that_file_only() {
        let out = session(&[
            ("clean", "bad.json", b"{not json"),
            ("smudge", "x.txt", b"hi"),
        ]);
        let texts: Vec<Option<String>> = packets(&out).iter().map(text).collect();
        assert_eq!(
            texts[6..],
            [
                Some("status=error\n".into()),
                None,
                Some("status=success\n".into()),
                None,
                Some("hi".into()),
                None,
                None,
            ]
        );
    }

    #[test]
    fn a_client_that_is_not_git_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::new(GlobalArgs::default(), dir.path().to_path_buf());
        let mut input = pkt("hello\n");
        input.extend(b"0000");
        let err = serve(&ctx, dir.path(), &input[..], Vec::new()).unwrap_err();
        assert!(err.message.contains("git-filter-client"), "{}", err.message);
    }
}
