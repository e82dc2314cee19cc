//! `--keyservice` URIs, read as sops reads them (Go's `url.Parse`, then the scheme picks
//! the network): `tcp://HOST:PORT` (also `tcp4`, `tcp6`), `unix:///ABS/PATH`, `unix:/ABS`,
//! `unix:REL`.

use std::fmt;
use std::path::PathBuf;

/// Where a key service listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `network` is `tcp`, `tcp4` or `tcp6`; `address` is `HOST:PORT`.
    Tcp { network: String, address: String },
    /// A unix socket.
    Unix(PathBuf),
    /// A URI sops accepts but can never connect to; using it fails with this reason.
    Unusable(String),
}

/// A parsed `--keyservice` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URI as given (shown in messages).
    pub uri: String,
    pub endpoint: Endpoint,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri)
    }
}

/// Go's scheme syntax: a letter, then letters, digits, `+`, `-`, `.`.
fn valid_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

impl Target {
    /// Parses a URI. `Err` is for text that is no URI at all (sops skips it with a
    /// warning); a URI that names no usable endpoint parses as [`Endpoint::Unusable`], so
    /// that, as in sops, every key lists it as failed.
    pub fn parse(uri: &str) -> Result<Target, String> {
        let (scheme, rest) = match uri.split_once(':') {
            Some((s, rest)) if valid_scheme(s) => (s.to_ascii_lowercase(), rest),
            Some(_) => {
                return Err("not a URI (expected tcp://HOST:PORT or unix:///PATH)".into());
            }
            None => ("".to_string(), uri),
        };
        let endpoint = match scheme.as_str() {
            "unix" => unix_endpoint(rest),
            "tcp" | "tcp4" | "tcp6" => match rest.strip_prefix("//") {
                Some(authority) => {
                    let address = authority.split(['/', '?', '#']).next().unwrap_or("");
                    match address.rsplit_once(':') {
                        Some((_, port)) if !port.is_empty() => Endpoint::Tcp {
                            network: scheme.clone(),
                            address: address.to_string(),
                        },
                        _ => Endpoint::Unusable(format!(
                            "address {address:?} has no port (expected {scheme}://HOST:PORT)"
                        )),
                    }
                }
                None => Endpoint::Unusable(format!("expected {scheme}://HOST:PORT")),
            },
            "" => Endpoint::Unusable("no scheme (expected tcp://HOST:PORT or unix:///PATH)".into()),
            other => Endpoint::Unusable(format!(
                "unknown network {other:?} (expected tcp://HOST:PORT or unix:///PATH)"
            )),
        };
        Ok(Target {
            uri: uri.to_string(),
            endpoint,
        })
    }
}

/// The socket path of a `unix:` URI: sops hands the whole URI to gRPC, which takes
/// `unix:PATH` and `unix:///ABS` but refuses a host (`unix://rel.sock`).
fn unix_endpoint(rest: &str) -> Endpoint {
    let path = match rest.strip_prefix("//") {
        Some(after) => match after.find('/') {
            Some(0) => after,
            _ => {
                return Endpoint::Unusable(
                    "a unix URI with a host; use unix:///ABSOLUTE/PATH or unix:RELATIVE/PATH"
                        .into(),
                )
            }
        },
        None => rest,
    };
    if path.is_empty() {
        return Endpoint::Unusable("a unix URI without a socket path".into());
    }
    Endpoint::Unix(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(uri: &str) -> Endpoint {
        Target::parse(uri).unwrap().endpoint
    }

    #[test]
    fn tcp_uris_give_host_and_port() {
        assert_eq!(
            endpoint("tcp://127.0.0.1:5000"),
            Endpoint::Tcp {
                network: "tcp".into(),
                address: "127.0.0.1:5000".into()
            }
        );
        assert_eq!(
            endpoint("TCP6://[::1]:5000/"),
            Endpoint::Tcp {
                network: "tcp6".into(),
                address: "[::1]:5000".into()
            }
        );
        assert!(matches!(endpoint("tcp://host"), Endpoint::Unusable(_)));
    }

    #[test]
    fn unix_uris_take_the_forms_grpc_takes() {
        assert_eq!(
            endpoint("unix:///run/ks.sock"),
            Endpoint::Unix("/run/ks.sock".into())
        );
        assert_eq!(
            endpoint("unix:/run/ks.sock"),
            Endpoint::Unix("/run/ks.sock".into())
        );
        assert_eq!(endpoint("unix:ks.sock"), Endpoint::Unix("ks.sock".into()));
        assert!(matches!(endpoint("unix://ks.sock"), Endpoint::Unusable(_)));
        assert!(matches!(endpoint("unix:"), Endpoint::Unusable(_)));
    }

    #[test]
    fn go_url_parse_rules_decide_what_is_skipped() {
        // Go: "first path segment in URL cannot contain colon" → sops skips it.
        assert!(Target::parse("127.0.0.1:5000").is_err());
        // Go: scheme "localhost" → sops keeps it and fails on every call.
        assert!(matches!(endpoint("localhost:5000"), Endpoint::Unusable(_)));
        assert!(matches!(endpoint("ks.sock"), Endpoint::Unusable(_)));
    }
}
