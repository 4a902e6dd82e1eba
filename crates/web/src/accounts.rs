//! Local accounts: who may sign in, with which role, their API tokens and the deposits they made.
//!
//! They live in the archive's folder in a file of their own, `web-accounts.json` (mode 0600),
//! never in the log (which is public) nor in the catalogue (which is derived, and rebuilt from
//! the log). Every change is read-modify-write under an exclusive lock on `web-accounts.lock`
//! (the command line's `onrecord user ...` and a running server both write it) and lands by an
//! atomic rename, so a crash leaves the old file or the new one, never half of one.
//!
//! Passwords are kept as Argon2id PHC strings (the `argon2` crate's defaults: 19 MiB, 2 passes);
//! API tokens as the SHA-256 of a 32-byte random token (the token has 256 bits of entropy, so a
//! slow hash adds nothing), shown once when made.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The file's name in the archive folder.
pub const ACCOUNTS_FILE: &str = "web-accounts.json";
const LOCK_FILE: &str = "web-accounts.lock";
const FORMAT: &str = "onrecord-web-accounts/1";

/// After this many wrong passwords in a row the account is locked for [`LOCK_MINUTES`].
pub const MAX_FAILED: u32 = 10;
pub const LOCK_MINUTES: i64 = 15;
/// Shortest password accepted (ASVS 2.1.1: at least 12 characters).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (ASVS 2.1.2 allows 64 and more; this bounds Argon2's input).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// What a person may do; [`crate::auth`] holds the one table of what each role is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Uploads deposits, and sees their own deposits and receipts only.
    Depositor,
    /// Sees and governs everything: the review queue, holds, disposal, reports.
    RecordsManager,
    /// Searches and reads everything (FOI and disclosure work).
    FoiOfficer,
    /// Checkpoints, verification and the audit log; never message content.
    Auditor,
    /// Accounts.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Depositor,
        Role::RecordsManager,
        Role::FoiOfficer,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Depositor => "depositor",
            Role::RecordsManager => "records-manager",
            Role::FoiOfficer => "foi-officer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// As a heading says it.
    pub fn title(self) -> &'static str {
        match self {
            Role::Depositor => "Depositor",
            Role::RecordsManager => "Records manager",
            Role::FoiOfficer => "FOI officer",
            Role::Auditor => "Auditor",
            Role::Admin => "Administrator",
        }
    }
}

/// One API token: only its hash is kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRow {
    /// The first 8 hex digits of the hash: how `user list` names it.
    pub id: String,
    pub sha256: String,
    pub created: String,
    #[serde(default)]
    pub revoked: bool,
}

/// A deposit an account made through the web (its receipt, as the archive gave it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DepositRow {
    pub deposit_id: String,
    pub file_name: String,
    pub received_at: String,
    pub receipt: serde_json::Value,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    pub role: Role,
    /// Argon2id, PHC string.
    pub password: String,
    #[serde(default)]
    pub disabled: bool,
    /// Wrong passwords in a row.
    #[serde(default)]
    pub failed: u32,
    /// RFC 3339; sign-in is refused until then.
    #[serde(default)]
    pub locked_until: Option<String>,
    /// Set when the password was given by someone else (the demo's one-time passwords).
    #[serde(default)]
    pub must_change: bool,
    #[serde(default)]
    pub tokens: Vec<TokenRow>,
    #[serde(default)]
    pub deposits: Vec<DepositRow>,
    pub created: String,
}

impl Account {
    pub fn locked(&self, now: jiff::Timestamp) -> bool {
        self.locked_until
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .is_some_and(|t| t > now)
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AccountsFile {
    pub format: String,
    pub accounts: BTreeMap<String, Account>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(String),
    #[error("no account named {0:?}")]
    NoSuchAccount(String),
    #[error("an account named {0:?} exists already")]
    Exists(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not an accounts file: {message}")]
    Corrupt { path: PathBuf, message: String },
}

/// The accounts of the archive at `root`.
#[derive(Clone, Debug)]
pub struct Accounts {
    root: PathBuf,
}

/// How a sign-in went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignIn {
    Ok {
        role: Role,
        must_change: bool,
    },
    /// Wrong name or password (not said which).
    Refused,
    /// Too many wrong passwords: locked until then.
    Locked,
}

impl Accounts {
    pub fn new(root: &Path) -> Accounts {
        Accounts {
            root: root.to_path_buf(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.root.join(ACCOUNTS_FILE)
    }

    fn io(&self, path: PathBuf) -> impl FnOnce(std::io::Error) -> AccountError {
        move |source| AccountError::Io { path, source }
    }

    /// The file as it stands (empty when there is none).
    pub fn load(&self) -> Result<AccountsFile, AccountError> {
        let path = self.path();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(AccountsFile {
                    format: FORMAT.into(),
                    ..Default::default()
                });
            }
            Err(e) => return Err(self.io(path)(e)),
        };
        let file: AccountsFile =
            serde_json::from_slice(&bytes).map_err(|e| AccountError::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if file.format != FORMAT {
            return Err(AccountError::Corrupt {
                path,
                message: format!("format {:?}, expected {FORMAT:?}", file.format),
            });
        }
        Ok(file)
    }

    /// Read-modify-write under the lock; the new file lands by an atomic rename, mode 0600.
    pub fn update<T>(
        &self,
        f: impl FnOnce(&mut AccountsFile) -> Result<T, AccountError>,
    ) -> Result<T, AccountError> {
        let lock_path = self.root.join(LOCK_FILE);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(self.io(lock_path.clone()))?;
        lock.lock().map_err(self.io(lock_path))?;
        let mut file = self.load()?;
        let out = f(&mut file)?;
        let path = self.path();
        let mut tmp = tempfile::NamedTempFile::new_in(&self.root).map_err(self.io(path.clone()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            tmp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(self.io(path.clone()))?;
        }
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| AccountError::Corrupt {
            path: path.clone(),
            message: e.to_string(),
        })?;
        tmp.write_all(&bytes).map_err(self.io(path.clone()))?;
        tmp.as_file().sync_all().map_err(self.io(path.clone()))?;
        tmp.persist(&path).map_err(|e| AccountError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        Ok(out)
    }

    pub fn get(&self, name: &str) -> Result<Option<Account>, AccountError> {
        Ok(self.load()?.accounts.get(name).cloned())
    }

    /// Adds an account. The name: 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
    pub fn add(
        &self,
        name: &str,
        role: Role,
        password: &str,
        must_change: bool,
    ) -> Result<(), AccountError> {
        check_name(name)?;
        let hash = hash_password(password)?;
        self.update(|f| {
            if f.accounts.contains_key(name) {
                return Err(AccountError::Exists(name.to_string()));
            }
            f.accounts.insert(
                name.to_string(),
                Account {
                    name: name.to_string(),
                    role,
                    password: hash,
                    disabled: false,
                    failed: 0,
                    locked_until: None,
                    must_change,
                    tokens: Vec::new(),
                    deposits: Vec::new(),
                    created: jiff::Timestamp::now().to_string(),
                },
            );
            Ok(())
        })
    }

    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), AccountError> {
        self.update(|f| {
            let a = f
                .accounts
                .get_mut(name)
                .ok_or_else(|| AccountError::NoSuchAccount(name.to_string()))?;
            a.disabled = disabled;
            if disabled {
                for t in &mut a.tokens {
                    t.revoked = true;
                }
            }
            Ok(())
        })
    }

    /// A new API token for `name`: returned once, its hash kept.
    pub fn new_token(&self, name: &str) -> Result<String, AccountError> {
        let token = format!("onr_{}", random_hex());
        let sha = sha256_hex(token.as_bytes());
        self.update(|f| {
            let a = f
                .accounts
                .get_mut(name)
                .ok_or_else(|| AccountError::NoSuchAccount(name.to_string()))?;
            a.tokens.push(TokenRow {
                id: sha[..8].to_string(),
                sha256: sha.clone(),
                created: jiff::Timestamp::now().to_string(),
                revoked: false,
            });
            Ok(())
        })?;
        Ok(token)
    }

    /// Revokes every token of `name` (or the one whose id is `id`); how many.
    pub fn revoke_tokens(&self, name: &str, id: Option<&str>) -> Result<usize, AccountError> {
        self.update(|f| {
            let a = f
                .accounts
                .get_mut(name)
                .ok_or_else(|| AccountError::NoSuchAccount(name.to_string()))?;
            let mut n = 0;
            for t in &mut a.tokens {
                if !t.revoked && id.is_none_or(|id| id == t.id) {
                    t.revoked = true;
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    /// The account a bearer token belongs to, if it is live and the account enabled.
    pub fn by_token(&self, token: &str) -> Result<Option<Account>, AccountError> {
        let sha = sha256_hex(token.as_bytes());
        Ok(self.load()?.accounts.into_values().find(|a| {
            !a.disabled
                && a.tokens
                    .iter()
                    .any(|t| !t.revoked && constant_time_eq(t.sha256.as_bytes(), sha.as_bytes()))
        }))
    }

    /// Checks a password, counting wrong ones: the [`MAX_FAILED`]th in a row locks the account for
    /// [`LOCK_MINUTES`]. An unknown name costs the same Argon2 work as a known one.
    pub fn sign_in(&self, name: &str, password: &str) -> Result<SignIn, AccountError> {
        let now = jiff::Timestamp::now();
        let Some(account) = self.get(name)? else {
            let _ = verify_password(DUMMY_HASH.as_str(), password);
            return Ok(SignIn::Refused);
        };
        if account.locked(now) {
            return Ok(SignIn::Locked);
        }
        let good = verify_password(&account.password, password);
        if good && !account.disabled {
            if account.failed > 0 || account.locked_until.is_some() {
                self.update(|f| {
                    if let Some(a) = f.accounts.get_mut(name) {
                        a.failed = 0;
                        a.locked_until = None;
                    }
                    Ok(())
                })?;
            }
            return Ok(SignIn::Ok {
                role: account.role,
                must_change: account.must_change,
            });
        }
        if account.disabled {
            return Ok(SignIn::Refused);
        }
        let locked = self.update(|f| {
            let Some(a) = f.accounts.get_mut(name) else {
                return Ok(false);
            };
            a.failed += 1;
            if a.failed >= MAX_FAILED {
                a.failed = 0;
                a.locked_until =
                    Some((now + jiff::SignedDuration::from_mins(LOCK_MINUTES)).to_string());
                return Ok(true);
            }
            Ok(false)
        })?;
        Ok(if locked {
            SignIn::Locked
        } else {
            SignIn::Refused
        })
    }

    /// Changes a password (and clears "must change").
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), AccountError> {
        let hash = hash_password(password)?;
        self.update(|f| {
            let a = f
                .accounts
                .get_mut(name)
                .ok_or_else(|| AccountError::NoSuchAccount(name.to_string()))?;
            a.password = hash;
            a.must_change = false;
            Ok(())
        })
    }

    /// Remembers a deposit `name` made, so that a depositor sees their own.
    pub fn add_deposit(&self, name: &str, row: DepositRow) -> Result<(), AccountError> {
        self.update(|f| {
            let a = f
                .accounts
                .get_mut(name)
                .ok_or_else(|| AccountError::NoSuchAccount(name.to_string()))?;
            a.deposits.push(row);
            Ok(())
        })
    }
}

fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "account name {name:?}: use 1 to 64 letters, digits, '.', '_', '-' or '@'"
        )))
    }
}

/// Checks the password's length (ASVS 2.1.1, 2.1.2: no composition rules) and hashes it.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid(format!(
            "a password has at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(AccountError::Invalid(format!(
            "a password has at most {MAX_PASSWORD_CHARS} characters"
        )));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AccountError::Invalid(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Invalid(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Invalid(e.to_string()))
}

fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the name is unknown, so that timing does not tell names apart.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    hash_password("not a real password, never matches").unwrap_or_default()
});

/// 32 random bytes as hex (session ids, CSRF tokens, API tokens, one-time passwords).
pub fn random_hex() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).expect("the operating system's random number generator failed");
    hex::encode(b)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
