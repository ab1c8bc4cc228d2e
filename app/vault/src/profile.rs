//! A user's profile at rest: the vault header in the clear, and sealed records under it
//! (the broker identity, one record per room, the message history).
//!
//! Unlocking only reads: a wrong passphrase leaves every byte as it was.

use serde::de::DeserializeOwned;
use serde::Serialize;

use std::future::Future;

use crate::kdf::{self, KdfParams};
use crate::{History, Keyring, SecretKey, Store, Table, VaultError, VaultHeader};

const HEADER_KEY: &str = "header";

/// A source of fresh random nonces.
pub type NonceSource = Box<dyn Fn() -> [u8; 12]>;

/// Randomness a new vault needs.
pub struct NewVault {
    /// How the passphrase becomes a key: `KdfParams::new(random salt)`.
    pub kdf: KdfParams,
    /// The data key.
    pub data_key: [u8; 32],
}

/// An unlocked profile.
pub struct Profile<S: Store> {
    store: S,
    keys: Keyring,
    nonce: NonceSource,
}

/// Records of a table that opened, and how many did not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Records<T> {
    /// Records that opened, in key order.
    pub items: Vec<T>,
    /// Damaged records skipped.
    pub skipped: usize,
}

/// Whether `store` holds a vault (then the user unlocks it; else they create one).
pub async fn exists(store: &impl Store) -> Result<bool, VaultError> {
    Ok(store.get(Table::Meta, HEADER_KEY).await?.is_some())
}

impl<S: Store> Profile<S> {
    /// Creates a vault protected by `passphrase`. An existing vault is never replaced;
    /// on error the store is handed back with nothing written.
    pub async fn create(
        store: S,
        passphrase: &str,
        fresh: NewVault,
        nonce: NonceSource,
    ) -> Result<Self, (S, VaultError)> {
        Self::create_with(
            store,
            |p| async move { kdf::derive(passphrase, &p) },
            fresh,
            nonce,
        )
        .await
    }

    /// [`Profile::create`] with the key derived by `derive` from the vault's
    /// parameters (the browser runs an older vault's PBKDF2 in WebCrypto, at native
    /// speed), given only parameters that [`KdfParams::check`] takes.
    pub async fn create_with<D, F>(
        store: S,
        derive: D,
        fresh: NewVault,
        nonce: NonceSource,
    ) -> Result<Self, (S, VaultError)>
    where
        D: FnOnce(KdfParams) -> F,
        F: Future<Output = Result<SecretKey, VaultError>>,
    {
        match exists(&store).await {
            Ok(false) => {}
            Ok(true) => return Err((store, VaultError::AlreadyExists)),
            Err(e) => return Err((store, e)),
        }
        let params = fresh.kdf;
        let kek = match checked_derive(derive, &params).await {
            Ok(k) => k,
            Err(e) => return Err((store, e)),
        };
        let (header, keys) = Keyring::create(&kek, params, fresh.data_key, nonce());
        let json = serde_json::to_vec(&header).expect("headers serialize");
        if let Err(e) = store.put(Table::Meta, HEADER_KEY, &json).await {
            return Err((store, e.into()));
        }
        Ok(Self { store, keys, nonce })
    }

    /// Opens the vault in `store`. On error the store is handed back untouched.
    pub async fn unlock(
        store: S,
        passphrase: &str,
        nonce: NonceSource,
    ) -> Result<Self, (S, VaultError)> {
        Self::unlock_with(store, |p| async move { kdf::derive(passphrase, &p) }, nonce).await
    }

    /// [`Profile::unlock`] with the key derived by `derive` from the vault's stored
    /// parameters (see [`Profile::create_with`]).
    pub async fn unlock_with<D, F>(
        store: S,
        derive: D,
        nonce: NonceSource,
    ) -> Result<Self, (S, VaultError)>
    where
        D: FnOnce(KdfParams) -> F,
        F: Future<Output = Result<SecretKey, VaultError>>,
    {
        Self::open(store, derive, nonce).await.map(|(p, _)| p)
    }

    /// [`Profile::unlock_with`], with the key derivation the header it read asks for.
    async fn open<D, F>(
        store: S,
        derive: D,
        nonce: NonceSource,
    ) -> Result<(Self, KdfParams), (S, VaultError)>
    where
        D: FnOnce(KdfParams) -> F,
        F: Future<Output = Result<SecretKey, VaultError>>,
    {
        let header = match read_header(&store).await {
            Ok(h) => h,
            Err(e) => return Err((store, e)),
        };
        let kek = match checked_derive(derive, &header.kdf).await {
            Ok(k) => k,
            Err(e) => return Err((store, e)),
        };
        match Keyring::unlock(&header, &kek) {
            Ok(keys) => Ok((Self { store, keys, nonce }, header.kdf)),
            Err(e) => Err((store, e)),
        }
    }

    /// [`Profile::unlock_with`], then [`Profile::upgrade_kdf`] with the same `derive` (so
    /// the same passphrase) and `fresh`: a vault from before Argon2id is re-wrapped at
    /// its unlock, once. The unlock stands whatever the upgrade does: should its write
    /// fail, the old header stays and still opens, and a later unlock tries again.
    pub async fn unlock_upgrading<D, F>(
        store: S,
        derive: D,
        fresh: KdfParams,
        nonce: NonceSource,
    ) -> Result<Self, (S, VaultError)>
    where
        D: Fn(KdfParams) -> F,
        F: Future<Output = Result<SecretKey, VaultError>>,
    {
        // The header just read says how the key is derived: not read again.
        let (profile, kdf) = Self::open(store, &derive, nonce).await?;
        let _ = profile.rewrap_if_outdated(&kdf, &derive, fresh).await;
        Ok(profile)
    }

    /// Once unlocked with `derive` (the same passphrase): when the vault's key derivation
    /// is older than new vaults get ([`KdfParams::is_outdated`]: PBKDF2, which took 100 to
    /// 220 ms of every unlock), re-wraps the data key under a key derived with `fresh`
    /// (`KdfParams::new(random salt)`) and writes the new header, so every later unlock
    /// is fast. Records are untouched: they are sealed with the data key, which stays.
    /// The header is one record, written at once: a failure leaves the old one, which
    /// still opens (and is upgraded at a later unlock). Returns whether it was upgraded.
    pub async fn upgrade_kdf<D, F>(&self, derive: D, fresh: KdfParams) -> Result<bool, VaultError>
    where
        D: FnOnce(KdfParams) -> F,
        F: Future<Output = Result<SecretKey, VaultError>>,
    {
        let header = read_header(&self.store).await?;
        self.rewrap_if_outdated(&header.kdf, derive, fresh).await
    }

    /// [`Profile::upgrade_kdf`] for a vault whose header derives its key with `kdf`.
    async fn rewrap_if_outdated<D, F>(
        &self,
        kdf: &KdfParams,
        derive: D,
        fresh: KdfParams,
    ) -> Result<bool, VaultError>
    where
        D: FnOnce(KdfParams) -> F,
        F: Future<Output = Result<SecretKey, VaultError>>,
    {
        if !kdf.is_outdated() || fresh.is_outdated() {
            return Ok(false);
        }
        let kek = checked_derive(derive, &fresh).await?;
        let header = self.keys.wrap(&kek, fresh, self.nonce());
        // Written only once it is seen to open: the old header is the one copy of the
        // data key there is.
        Keyring::unlock(&header, &kek)?;
        let json = serde_json::to_vec(&header).expect("headers serialize");
        self.store.put(Table::Meta, HEADER_KEY, &json).await?;
        Ok(true)
    }

    /// The store underneath.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the store back (to close or delete it).
    pub fn into_store(self) -> S {
        self.store
    }

    /// The message history.
    pub fn history(&self) -> History<'_, S> {
        History::new(&self.store, &self.keys)
    }

    /// The pieces of files sent and received.
    pub fn files(&self) -> crate::FilePieces<'_, S> {
        crate::FilePieces::new(&self.store, &self.keys)
    }

    /// A fresh nonce.
    pub fn nonce(&self) -> [u8; 12] {
        (self.nonce)()
    }

    fn key(&self, table: Table, name: &str) -> String {
        match table {
            // Meta names are fixed words ("identity"); other names would leak.
            Table::Meta => name.to_owned(),
            _ => self.keys.lookup(name),
        }
    }

    /// Seals `value` and stores it as `name` in `table`.
    pub async fn put<T: Serialize>(
        &self,
        table: Table,
        name: &str,
        value: &T,
    ) -> Result<(), VaultError> {
        let key = self.key(table, name);
        let plain = serde_json::to_vec(value).expect("records serialize");
        let sealed = self.keys.seal(&key, &plain, self.nonce());
        Ok(self.store.put(table, &key, &sealed).await?)
    }

    /// The record `name` of `table`, if stored and intact.
    pub async fn get<T: DeserializeOwned>(
        &self,
        table: Table,
        name: &str,
    ) -> Result<Option<T>, VaultError> {
        let key = self.key(table, name);
        let Some(sealed) = self.store.get(table, &key).await? else {
            return Ok(None);
        };
        let plain = self.keys.open(&key, &sealed)?;
        serde_json::from_slice(&plain)
            .map(Some)
            .map_err(|_| VaultError::Corrupted)
    }

    /// Removes the record `name` of `table`.
    pub async fn delete(&self, table: Table, name: &str) -> Result<(), VaultError> {
        Ok(self.store.delete(table, &self.key(table, name)).await?)
    }

    /// Every record of `table` (not for Meta), skipping damaged ones.
    pub async fn all<T: DeserializeOwned>(&self, table: Table) -> Result<Records<T>, VaultError> {
        let rows = self.store.range(table, "", "~", usize::MAX, false).await?;
        let mut records = Records {
            items: Vec::new(),
            skipped: 0,
        };
        for (key, sealed) in rows {
            match self
                .keys
                .open(&key, &sealed)
                .ok()
                .and_then(|p| serde_json::from_slice(&p).ok())
            {
                Some(item) => records.items.push(item),
                None => records.skipped += 1,
            }
        }
        Ok(records)
    }
}

/// `derive`'s key for `params`, once [`KdfParams::check`] takes them: a damaged header
/// never makes the page allocate or loop without bound.
async fn checked_derive<D, F>(derive: D, params: &KdfParams) -> Result<SecretKey, VaultError>
where
    D: FnOnce(KdfParams) -> F,
    F: Future<Output = Result<SecretKey, VaultError>>,
{
    params.check()?;
    derive(params.clone()).await
}

async fn read_header(store: &impl Store) -> Result<VaultHeader, VaultError> {
    let bytes = store
        .get(Table::Meta, HEADER_KEY)
        .await?
        .ok_or(VaultError::Missing)?;
    serde_json::from_slice(&bytes).map_err(|_| VaultError::HeaderDamaged)
}

/// Fewest characters a new passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Checks a new passphrase and its confirmation; the error is a sentence for the user.
pub fn check_new_passphrase(passphrase: &str, confirmation: &str) -> Result<(), String> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(format!(
            "Please choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters."
        ));
    }
    if passphrase != confirmation {
        return Err("The two passphrases differ; please type the same one twice.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_passphrase_is_long_enough_and_confirmed() {
        assert!(check_new_passphrase("short", "short").is_err());
        assert!(check_new_passphrase("long enough", "long enougH").is_err());
        assert!(check_new_passphrase("long enough", "long enough").is_ok());
        assert!(check_new_passphrase("ééééééééé", "ééééééééé").is_ok());
    }
}
