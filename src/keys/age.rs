//! TEMPORARY stub, replaced by the real age key source.
use super::{Keyring, MasterKey};
use crate::error::{Code, Error, Result};
use crate::tree::{self, Item, Map, Node};
use zeroize::Zeroizing;

#[derive(Debug, Clone)]
pub struct AgeMasterKey {
    pub recipient: String,
    pub enc: String,
}
pub struct AgeIdentities;
impl AgeIdentities {
    pub fn load() -> Result<AgeIdentities> {
        Ok(AgeIdentities)
    }
}
impl AgeMasterKey {
    pub fn new(recipient: &str) -> Result<AgeMasterKey> {
        Ok(AgeMasterKey {
            recipient: recipient.into(),
            enc: String::new(),
        })
    }
    pub fn wrap(&mut self, _data_key: &[u8]) -> Result<()> {
        Err(Error::new(Code::Generic, "stub"))
    }
    pub fn unwrap(&self, _ids: &AgeIdentities) -> Result<Zeroizing<Vec<u8>>> {
        Err(Error::new(Code::CouldNotRetrieveKey, "stub"))
    }
}

impl AgeMasterKey {
    /// Reads a metadata entry (`recipient`, `enc`; any order).
    pub fn from_map(entry: &Map) -> Result<AgeMasterKey> {
        let field = |name: &str| {
            tree::get(entry, name)
                .and_then(Node::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::new(
                        Code::Generic,
                        format!("an age master key in the metadata has no {name}"),
                    )
                })
        };
        Ok(AgeMasterKey {
            recipient: field("recipient")?,
            enc: field("enc")?,
        })
    }
}

impl MasterKey for AgeMasterKey {
    fn kind(&self) -> &'static str {
        "age"
    }

    fn describe(&self) -> String {
        self.recipient.clone()
    }

    fn wrap(&mut self, data_key: &[u8]) -> Result<()> {
        AgeMasterKey::wrap(self, data_key)
    }

    fn unwrap(&self, keyring: &Keyring) -> Result<Zeroizing<Vec<u8>>> {
        AgeMasterKey::unwrap(self, keyring.age_identities()?)
    }

    fn to_map(&self) -> Map {
        vec![
            Item::Pair("recipient".into(), Node::str(&self.recipient)),
            Item::Pair("enc".into(), Node::str(&self.enc)),
        ]
    }

    fn clone_box(&self) -> Box<dyn MasterKey> {
        Box::new(self.clone())
    }
}
