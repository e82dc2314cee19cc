//! `secret keyservice`: sops' gRPC key service. Each request names a master key; the
//! server wraps or unwraps with its own key material (age identities, gpg, cloud
//! credentials), exactly as the local service of a `secret` run would.

use super::convert::{from_proto, prompt_description};
use super::proto::{self, DECRYPT_PATH, ENCRYPT_PATH, SERVICE};
use super::{enc_of, with_enc};
use crate::error::{Code, Error, Result};
use crate::keys::{Keyring, MasterKey};
use std::convert::Infallible;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio_stream::wrappers::{TcpListenerStream, UnixListenerStream};
use tonic::codec::ProstCodec;
use tonic::codegen::{http, BoxFuture, StdError};
use tonic::server::{NamedService, UnaryService};
use tonic::Status;

/// What `secret keyservice` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// `tcp`, `tcp4`, `tcp6` or `unix`.
    pub network: String,
    /// `HOST:PORT` (a port of 0 picks a free one), or the socket path.
    pub address: String,
    /// Ask on the terminal before answering each request.
    pub prompt: bool,
    /// Log each request (key type and identity, never key material) on stderr.
    pub verbose: bool,
}

/// Serves until SIGINT or SIGTERM; a unix socket file is removed on the way out.
pub fn serve(options: Options) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(Code::Generic, format!("cannot start a runtime: {e}")))?;
    runtime.block_on(run(options))
}

async fn run(options: Options) -> Result<()> {
    let service = KeyService {
        handler: Arc::new(Handler {
            prompt: options.prompt,
            verbose: options.verbose,
            terminal: Mutex::new(()),
        }),
    };
    let listen_error = |e: std::io::Error| {
        Error::new(
            Code::Generic,
            format!("listen {} {}: {e}", options.network, options.address),
        )
    };
    match options.network.as_str() {
        "unix" => {
            let path = PathBuf::from(&options.address);
            let listener = tokio::net::UnixListener::bind(&path).map_err(listen_error)?;
            // Removed however serving ends.
            let _socket = SocketFile(path);
            log(
                &options,
                &format!("Listening on unix://{}", options.address),
            );
            serve_on(service, UnixListenerStream::new(listener)).await
        }
        "tcp" | "tcp4" | "tcp6" => {
            let listener = bind_tcp(&options.network, &options.address)
                .await
                .map_err(listen_error)?;
            let local = listener.local_addr().map_err(listen_error)?;
            log(
                &options,
                &format!("Listening on {}://{local}", options.network),
            );
            serve_on(service, TcpListenerStream::new(listener)).await
        }
        other => Err(Error::new(
            Code::Generic,
            format!("unknown network {other:?}: use tcp, tcp4, tcp6 or unix"),
        )),
    }
}

/// Serves the connections of `incoming` until SIGINT or SIGTERM.
async fn serve_on<I, IO, IE>(service: KeyService, incoming: I) -> Result<()>
where
    I: tokio_stream::Stream<Item = std::result::Result<IO, IE>>,
    IO: tokio::io::AsyncRead
        + tokio::io::AsyncWrite
        + tonic::transport::server::Connected
        + Unpin
        + Send
        + 'static,
    IE: Into<StdError>,
{
    tonic::transport::Server::builder()
        .serve_with_incoming_shutdown(service, incoming, shutdown_signal()?)
        .await
        .map_err(|e| Error::new(Code::Generic, format!("key service failed: {e}")))
}

/// Logs with `--verbose`.
fn log(options: &Options, message: &str) {
    if options.verbose {
        eprintln!("secret: {message}");
    }
}

/// A socket file deleted when dropped.
struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Binds `HOST:PORT` as Go does: an empty host is every address.
async fn bind_tcp(network: &str, address: &str) -> std::io::Result<tokio::net::TcpListener> {
    let address = match (address.strip_prefix(':'), network) {
        (Some(port), "tcp6") => format!("[::]:{port}"),
        (Some(port), _) => format!("0.0.0.0:{port}"),
        (None, _) => address.to_string(),
    };
    let mut last = None;
    for addr in tokio::net::lookup_host(&address).await? {
        if (network == "tcp4" && !addr.is_ipv4()) || (network == "tcp6" && !addr.is_ipv6()) {
            continue;
        }
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no matching address")
    }))
}

/// Resolves on the first SIGINT or SIGTERM.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let fail = |e: std::io::Error| Error::new(Code::Generic, format!("cannot handle signals: {e}"));
    let mut interrupt = signal(SignalKind::interrupt()).map_err(fail)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(fail)?;
    Ok(std::future::poll_fn(move |cx| {
        if interrupt.poll_recv(cx).is_ready() || terminate.poll_recv(cx).is_ready() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }))
}

/// Why a request failed: a gRPC status code and its message (tonic's `Status` is too big
/// to pass around by value).
#[derive(Debug)]
struct Failure {
    code: tonic::Code,
    message: String,
}

impl Failure {
    fn new(code: tonic::Code, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// A key operation failed (sops answers `UNKNOWN` with the error text).
    fn unknown(message: impl Into<String>) -> Failure {
        Failure::new(tonic::Code::Unknown, message)
    }
}

/// Answers requests.
struct Handler {
    prompt: bool,
    verbose: bool,
    /// One prompt at a time on the terminal.
    terminal: Mutex<()>,
}

impl Handler {
    /// The master key a request names; `NOT_FOUND` when it names none (sops' own server
    /// crashes on a request without a key).
    fn key(&self, key: Option<&proto::Key>) -> Result<Box<dyn MasterKey>, Failure> {
        let key = key
            .and_then(from_proto)
            .ok_or_else(|| Failure::new(tonic::Code::NotFound, "Must provide a key"))?;
        key.map_err(|e| Failure::unknown(e.message))
    }

    fn encrypt(&self, request: proto::EncryptRequest) -> Result<proto::EncryptResponse, Failure> {
        let mut key = self.key(request.key.as_ref())?;
        let result = key.wrap(&request.plaintext);
        self.finish("encrypt", key.as_ref(), request.key.as_ref(), &result)?;
        Ok(proto::EncryptResponse {
            ciphertext: enc_of(key.as_ref()).into_bytes(),
        })
    }

    fn decrypt(&self, request: proto::DecryptRequest) -> Result<proto::DecryptResponse, Failure> {
        let key = self.key(request.key.as_ref())?;
        let enc = String::from_utf8(request.ciphertext)
            .map_err(|_| Failure::unknown("the ciphertext is not text"))?;
        let key = with_enc(key.as_ref(), &enc, false).map_err(|e| Failure::unknown(e.message))?;
        let result = key.unwrap(&Keyring::from_env());
        self.finish("decrypt", key.as_ref(), request.key.as_ref(), &result)?;
        let plaintext = result.map_err(|e| Failure::unknown(e.message))?;
        Ok(proto::DecryptResponse {
            plaintext: plaintext.to_vec(),
        })
    }

    /// Logs the outcome and, with `--prompt`, asks whether to answer (sops asks after doing
    /// the work); a key failure becomes `UNKNOWN`.
    fn finish<T>(
        &self,
        what: &str,
        key: &dyn MasterKey,
        message: Option<&proto::Key>,
        result: &Result<T>,
    ) -> Result<(), Failure> {
        if self.verbose {
            let outcome = match result {
                Ok(_) => "done".to_string(),
                Err(e) => format!("failed: {}", e.message.replace(&key.describe(), "the key")),
            };
            eprintln!(
                "secret: {what} request for {} key {}: {outcome}",
                key.kind(),
                key.describe()
            );
        }
        if let Err(e) = result {
            return Err(Failure::unknown(e.message.clone()));
        }
        if self.prompt {
            let description = message.map(prompt_description).unwrap_or_default();
            if !self.confirm(what, &description)? {
                return Err(Failure::new(
                    tonic::Code::PermissionDenied,
                    "Request rejected by user",
                ));
            }
        }
        Ok(())
    }

    /// `Received <what> request using <key>. Respond to request? (y/n): ` until `y` or `n`.
    fn confirm(&self, what: &str, description: &str) -> Result<bool, Failure> {
        let _terminal = self.terminal.lock().unwrap_or_else(|p| p.into_inner());
        let stdin = std::io::stdin();
        loop {
            print!("\nReceived {what} request using {description}. Respond to request? (y/n): ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            match stdin.lock().read_line(&mut line) {
                Ok(0) => return Err(Failure::unknown("EOF")),
                Err(e) => return Err(Failure::unknown(e.to_string())),
                Ok(_) => {}
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["y"] => return Ok(true),
                ["n"] => return Ok(false),
                [_, _, ..] => return Err(Failure::unknown("expected one word")),
                _ => {}
            }
        }
    }
}

/// The tower service tonic's server routes `/KeyService/*` to.
#[derive(Clone)]
struct KeyService {
    handler: Arc<Handler>,
}

impl NamedService for KeyService {
    const NAME: &'static str = SERVICE;
}

/// One method: decodes the request, runs `method` off the async threads (key operations
/// block: gpg, KMS calls with their own runtime, terminal prompts), encodes the reply.
struct Method<Req, Resp> {
    handler: Arc<Handler>,
    method: fn(&Handler, Req) -> Result<Resp, Failure>,
}

impl<Req: Send + 'static, Resp: Send + 'static> UnaryService<Req> for Method<Req, Resp> {
    type Response = Resp;
    type Future = BoxFuture<tonic::Response<Resp>, Status>;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        let (handler, method) = (self.handler.clone(), self.method);
        Box::pin(async move {
            let request = request.into_inner();
            tokio::task::spawn_blocking(move || method(&handler, request))
                .await
                .map_err(|e| Status::internal(e.to_string()))?
                .map(tonic::Response::new)
                .map_err(|f| Status::new(f.code, f.message))
        })
    }
}

impl KeyService {
    fn unary<Req, Resp, B>(
        &self,
        method: fn(&Handler, Req) -> Result<Resp, Failure>,
        request: http::Request<B>,
    ) -> BoxFuture<http::Response<tonic::body::Body>, Infallible>
    where
        Req: prost::Message + Default + Send + 'static,
        Resp: prost::Message + Send + 'static,
        B: tonic::codegen::Body + Send + 'static,
        B::Error: Into<StdError> + Send + 'static,
    {
        let method = Method {
            handler: self.handler.clone(),
            method,
        };
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<Resp, Req>::default());
            Ok(grpc.unary(method, request).await)
        })
    }
}

impl<B> tower::Service<http::Request<B>> for KeyService
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        match request.uri().path() {
            ENCRYPT_PATH => self.unary(Handler::encrypt, request),
            DECRYPT_PATH => self.unary(Handler::decrypt, request),
            _ => Box::pin(async { Ok(Status::unimplemented("unknown method").into_http()) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    fn handler() -> Handler {
        Handler {
            prompt: false,
            verbose: false,
            terminal: Mutex::new(()),
        }
    }

    fn age_key(recipient: &str) -> Option<proto::Key> {
        Some(proto::Key {
            key_type: Some(proto::KeyType::AgeKey(proto::AgeKey {
                recipient: recipient.into(),
            })),
        })
    }

    #[test]
    fn a_request_without_a_key_is_not_found() {
        let request = proto::DecryptRequest {
            key: None,
            ciphertext: b"x".to_vec(),
        };
        let failure = handler().decrypt(request).unwrap_err();
        assert_eq!(failure.code, Code::NotFound);
        assert_eq!(failure.message, "Must provide a key");
        let request = proto::EncryptRequest {
            key: Some(proto::Key { key_type: None }),
            plaintext: vec![0; 32],
        };
        assert_eq!(handler().encrypt(request).unwrap_err().code, Code::NotFound);
    }

    #[test]
    fn a_key_failure_is_unknown_with_the_reason() {
        let request = proto::EncryptRequest {
            key: age_key("age1bad"),
            plaintext: vec![0; 32],
        };
        let failure = handler().encrypt(request).unwrap_err();
        assert_eq!(failure.code, Code::Unknown);
        assert!(failure.message.contains("age1bad"), "{}", failure.message);
    }

    #[test]
    fn encrypt_answers_with_the_enc_text() {
        let recipient = "age1fmcn853felcansaeen9l7wej64nqnzz6fpq9zxp70qtvdhv5pueqaqkman";
        let request = proto::EncryptRequest {
            key: age_key(recipient),
            plaintext: vec![7; 32],
        };
        let reply = handler().encrypt(request).unwrap();
        let text = String::from_utf8(reply.ciphertext).unwrap();
        assert!(
            text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
            "{text}"
        );
    }
}
