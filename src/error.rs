//! Errors with sops' exit codes (`cmd/sops/codes/codes.go`).

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

/// An error that ends the command: one line of text and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: String,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    /// Prefixes the message with some context, e.g. the file name.
    pub fn context(mut self, what: impl fmt::Display) -> Error {
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

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The messages of a library error and its sources on one line, repeats left out (client
/// libraries nest "request failed" around "connect error" around "connection refused").
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
