//! Errors with sops' exit codes (`cmd/sops/codes/codes.go`).
//!
//! Inside the crate every error is one line of text and a [`Code`]; the library shows them
//! as [`Error`] with a stable [`ErrorKind`], so callers can branch without parsing text.

use std::fmt;

/// sops' exit codes, so scripts written for sops keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Code {
    Generic = 1,
    CouldNotReadInputFile = 2,
    CouldNotWriteOutputFile = 3,
    ErrorDumpingTree = 4,
    InvalidKmsEncryptionContextFormat = 6,
    InvalidSetFormat = 7,
    ConflictingParameters = 8,
    ErrorEncryptingMac = 21,
    ErrorEncryptingTree = 23,
    ErrorDecryptingTree = 25,
    CannotChangeKeysFromNonExistentFile = 49,
    MacMismatch = 51,
    InvalidTreePathFormat = 91,
    NeedAtLeastOneDocument = 92,
    NoFileSpecified = 100,
    DuplicateDecryptionKeyType = 112,
    CouldNotRetrieveKey = 128,
    FileHasNotBeenModified = 200,
    NoEditorFound = 201,
    FailedToCompareVersions = 202,
    FileAlreadyEncrypted = 203,
}

impl Code {
    /// Every code, in numeric order (for the man page's EXIT STATUS).
    pub const ALL: [Code; 21] = [
        Code::Generic,
        Code::CouldNotReadInputFile,
        Code::CouldNotWriteOutputFile,
        Code::ErrorDumpingTree,
        Code::InvalidKmsEncryptionContextFormat,
        Code::InvalidSetFormat,
        Code::ConflictingParameters,
        Code::ErrorEncryptingMac,
        Code::ErrorEncryptingTree,
        Code::ErrorDecryptingTree,
        Code::CannotChangeKeysFromNonExistentFile,
        Code::MacMismatch,
        Code::InvalidTreePathFormat,
        Code::NeedAtLeastOneDocument,
        Code::NoFileSpecified,
        Code::DuplicateDecryptionKeyType,
        Code::CouldNotRetrieveKey,
        Code::FileHasNotBeenModified,
        Code::NoEditorFound,
        Code::FailedToCompareVersions,
        Code::FileAlreadyEncrypted,
    ];

    /// What the code means, for people (the match keeps every code documented).
    pub fn meaning(self) -> &'static str {
        match self {
            Code::Generic => {
                "any other error (bad config, no matching rule, key not found by unset, …)"
            }
            Code::CouldNotReadInputFile => "the input cannot be read or parsed",
            Code::CouldNotWriteOutputFile => "the output cannot be written",
            Code::ErrorDumpingTree => "the data cannot be written in the output format",
            Code::InvalidKmsEncryptionContextFormat => "malformed --encryption-context",
            Code::InvalidSetFormat => "malformed PATH or VALUE for set/unset",
            Code::ConflictingParameters => "options that cannot be used together",
            Code::ErrorEncryptingMac => "the MAC cannot be encrypted",
            Code::ErrorEncryptingTree => "a value cannot be encrypted",
            Code::ErrorDecryptingTree => "a value cannot be decrypted",
            Code::CannotChangeKeysFromNonExistentFile => {
                "changing the keys of a file that does not exist"
            }
            Code::MacMismatch => "the MAC does not match: the file was changed outside sops/secret",
            Code::InvalidTreePathFormat => "malformed --extract path, or nothing at that path",
            Code::NeedAtLeastOneDocument => "the file holds no document",
            Code::NoFileSpecified => "no file given, or the file does not exist",
            Code::DuplicateDecryptionKeyType => "a key type named twice in the decryption order",
            Code::CouldNotRetrieveKey => {
                "no master key could open the data key (no key, wrong key)"
            }
            Code::FileHasNotBeenModified => "edit: the file was saved unchanged, nothing written",
            Code::NoEditorFound => "edit: no editor found, or the editor failed",
            Code::FailedToCompareVersions => "the version check failed",
            Code::FileAlreadyEncrypted => "encrypt: the file is already encrypted",
        }
    }
}

/// An error of `secret`: what kind of failure it is ([`Error::kind`]), the exit code sops
/// gives it ([`Error::exit_code`]), and one line of text for people (`Display`). The text
/// never contains secret values or key material.
///
/// ```
/// let err = secret::decrypt(b"not: [valid", secret::Format::Yaml, &secret::Keyring::new())
///     .unwrap_err();
/// assert_eq!(err.kind(), secret::ErrorKind::InvalidInput);
/// assert_eq!(err.exit_code(), 2);
/// assert!(!err.to_string().contains('\n'));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub(crate) code: Code,
    pub(crate) message: String,
}

/// What went wrong, for programs that handle some failures themselves. New kinds may be
/// added in minor releases; match with a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input cannot be parsed in its format, or is not a sops file when one is needed.
    InvalidInput,
    /// The input is already a sops file (it has `sops` metadata) and cannot be encrypted.
    AlreadyEncrypted,
    /// No master key could open the data key: no matching identity, or a key service failed.
    KeyNotFound,
    /// The MAC does not match: the file was changed without its data key.
    MacMismatch,
    /// A value cannot be decrypted (bad ciphertext) or encrypted.
    Crypto,
    /// A path names nothing in the document, or cannot be parsed.
    InvalidPath,
    /// The document cannot be written in its format.
    Output,
    /// An argument is malformed or two of them conflict (a recipient, a selector pattern).
    InvalidArgument,
    /// Anything else (metadata that cannot be read, a key service error, …).
    Other,
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self.code {
            Code::CouldNotReadInputFile | Code::NeedAtLeastOneDocument | Code::NoFileSpecified => {
                ErrorKind::InvalidInput
            }
            Code::FileAlreadyEncrypted => ErrorKind::AlreadyEncrypted,
            Code::CouldNotRetrieveKey => ErrorKind::KeyNotFound,
            Code::MacMismatch => ErrorKind::MacMismatch,
            Code::ErrorDecryptingTree | Code::ErrorEncryptingTree | Code::ErrorEncryptingMac => {
                ErrorKind::Crypto
            }
            Code::InvalidTreePathFormat => ErrorKind::InvalidPath,
            Code::ErrorDumpingTree | Code::CouldNotWriteOutputFile => ErrorKind::Output,
            Code::InvalidKmsEncryptionContextFormat
            | Code::InvalidSetFormat
            | Code::ConflictingParameters
            | Code::DuplicateDecryptionKeyType => ErrorKind::InvalidArgument,
            Code::Generic
            | Code::CannotChangeKeysFromNonExistentFile
            | Code::FileHasNotBeenModified
            | Code::NoEditorFound
            | Code::FailedToCompareVersions => ErrorKind::Other,
        }
    }

    /// The exit code sops 3.x gives this error (`cmd/sops/codes`), e.g. 128 when no key
    /// could open the file, 51 for a MAC mismatch.
    pub fn exit_code(&self) -> i32 {
        self.code as i32
    }
}

impl Error {
    pub(crate) fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    /// Prefixes the message with some context, e.g. the file name.
    pub(crate) fn context(mut self, what: impl fmt::Display) -> Error {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with `secret`'s [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The messages of a library error and its sources on one line, repeats left out (client
/// libraries nest "request failed" around "connect error" around "connection refused").
#[cfg(any(feature = "aws", feature = "http"))]
pub fn source_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string().replace('\n', " ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}
