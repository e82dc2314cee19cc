//! The gRPC client of a remote key service: one current-thread runtime and one HTTP/2
//! channel per server, connected on the first call.

use super::proto::{self, DECRYPT_PATH, ENCRYPT_PATH};
use super::uri::{Endpoint, Target};
use crate::error::{Code, Error, Result};
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tonic::codec::ProstCodec;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::{Channel, Uri};
use zeroize::Zeroizing;

/// How long connecting to a key service may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to one key service.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    channel: Channel,
    target: Target,
}

impl Client {
    /// A client for `target` (nothing is sent before the first call).
    pub fn new(target: &Target) -> Result<Client> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(Code::Generic, format!("cannot start a runtime: {e}")))?;
        // The channel's worker task is spawned on this runtime.
        let _guard = runtime.enter();
        // The authority is never resolved: the connector below dials the real endpoint.
        let endpoint = tonic::transport::Endpoint::from_static("http://keyservice")
            .connect_timeout(CONNECT_TIMEOUT);
        let channel = match target.endpoint.clone() {
            Endpoint::Tcp { network, address } => {
                endpoint.connect_with_connector_lazy(tower::service_fn(move |_: Uri| {
                    let (network, address) = (network.clone(), address.clone());
                    async move { dial_tcp(&network, &address).await.map(TokioIo::new) }
                }))
            }
            Endpoint::Unix(path) => {
                endpoint.connect_with_connector_lazy(tower::service_fn(move |_: Uri| {
                    let path = path.clone();
                    async move {
                        tokio::net::UnixStream::connect(path)
                            .await
                            .map(TokioIo::new)
                    }
                }))
            }
            Endpoint::Unusable(why) => return Err(Error::new(Code::Generic, why)),
        };
        Ok(Client {
            runtime,
            channel,
            target: target.clone(),
        })
    }

    /// Wraps `plaintext` with `key` on the server; returns the key's new `enc`.
    pub fn encrypt(&self, key: &proto::Key, plaintext: &[u8]) -> Result<String> {
        let request = proto::EncryptRequest {
            key: Some(key.clone()),
            plaintext: plaintext.to_vec(),
        };
        let reply: proto::EncryptResponse = self.call(ENCRYPT_PATH, request)?;
        String::from_utf8(reply.ciphertext).map_err(|_| {
            Error::new(
                Code::Generic,
                format!(
                    "key service {} sent a ciphertext that is not text",
                    self.target
                ),
            )
        })
    }

    /// Unwraps `enc` with `key` on the server.
    pub fn decrypt(&self, key: &proto::Key, enc: &str) -> Result<Zeroizing<Vec<u8>>> {
        let request = proto::DecryptRequest {
            key: Some(key.clone()),
            ciphertext: enc.as_bytes().to_vec(),
        };
        let reply: proto::DecryptResponse = self.call(DECRYPT_PATH, request)?;
        Ok(Zeroizing::new(reply.plaintext))
    }

    /// One unary call.
    fn call<Req, Resp>(&self, path: &'static str, request: Req) -> Result<Resp>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        let result = self.runtime.block_on(async move {
            grpc.ready()
                .await
                .map_err(|e| tonic::Status::unavailable(error_chain(&e)))?;
            let codec: ProstCodec<Req, Resp> = ProstCodec::default();
            grpc.unary(
                tonic::Request::new(request),
                PathAndQuery::from_static(path),
                codec,
            )
            .await
        });
        result
            .map(tonic::Response::into_inner)
            .map_err(|status| Error::new(Code::Generic, status_text(&status)))
    }
}

/// A status as one line: the code and the server's message, or for a connection failure
/// its cause.
fn status_text(status: &tonic::Status) -> String {
    let message = status.message();
    if status.code() != tonic::Code::Unavailable {
        return format!("{:?}: {message}", status.code());
    }
    let cause = match std::error::Error::source(status) {
        Some(source) if !error_chain(source).contains(message) => {
            format!("{message}: {}", error_chain(source))
        }
        Some(source) => error_chain(source),
        None => message.to_string(),
    };
    format!(
        "cannot connect: {}",
        cause.strip_prefix("transport error: ").unwrap_or(&cause)
    )
}

/// An error and its causes, joined.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// Connects to `HOST:PORT`, keeping to IPv4 for `tcp4` and IPv6 for `tcp6`.
async fn dial_tcp(network: &str, address: &str) -> std::io::Result<tokio::net::TcpStream> {
    let mut last = None;
    for addr in tokio::net::lookup_host(address).await? {
        let wanted = match network {
            "tcp4" => addr.is_ipv4(),
            "tcp6" => addr.is_ipv6(),
            _ => true,
        };
        if !wanted {
            continue;
        }
        match tokio::net::TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no {network} address for {address}"),
        )
    }))
}
