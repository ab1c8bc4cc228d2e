//! The unlock gate: which screen shows before the chat (opening the database, first run,
//! unlock, or the chat itself), whether the key is being derived, and what went wrong.
//! The Yew layer wraps [`Gate`] in a `Reducible` and runs the slow work (opening the
//! database, deriving the key, erasing) as effects that report back with a [`GateAction`].

/// Which screen the gate shows.
///
/// `V` is the unlocked vault; the core never looks inside it, so the browser keeps its
/// IndexedDB handle here and tests use any stand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage<V> {
    /// Opening the database.
    Opening,
    /// No vault yet: set one up.
    Setup,
    /// A vault: unlock it.
    Unlock,
    /// Unlocked: the chat shows.
    Open {
        /// The unlocked vault.
        vault: V,
        /// The user's display name.
        name: String,
    },
    /// Storage cannot be used at all; the text says so.
    Failed(String),
}

/// Everything the gate shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate<V> {
    /// The screen.
    pub stage: Stage<V>,
    /// The key is being derived: the form shows it is working (its button is disabled).
    pub busy: bool,
    /// What went wrong last time (a wrong passphrase, a failed erase).
    pub error: Option<String>,
}

impl<V> Default for Gate<V> {
    fn default() -> Self {
        Self {
            stage: Stage::Opening,
            busy: false,
            error: None,
        }
    }
}

/// Everything that changes the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateAction<V> {
    /// The database opened; `exists` when a vault is in it.
    DatabaseOpened {
        /// A vault exists (unlock it) or not (set one up).
        exists: bool,
    },
    /// The database cannot be opened; the text says why.
    DatabaseFailed(String),
    /// The user submitted a passphrase: the key derivation starts.
    Submitted,
    /// The vault is created or unlocked.
    Unlocked {
        /// The vault.
        vault: V,
        /// The user's display name.
        name: String,
    },
    /// Creating or unlocking failed (a wrong passphrase changes nothing else).
    Refused(String),
    /// Deleting everything failed; the text is the reason.
    EraseFailed(String),
}

impl<V> Gate<V> {
    /// Applies one action.
    pub fn reduce(&mut self, action: GateAction<V>) {
        match action {
            GateAction::DatabaseOpened { exists } => {
                self.stage = if exists { Stage::Unlock } else { Stage::Setup };
            }
            GateAction::DatabaseFailed(e) => self.stage = Stage::Failed(e),
            GateAction::Submitted => self.busy = true,
            GateAction::Unlocked { vault, name } => {
                self.busy = false;
                self.error = None;
                self.stage = Stage::Open { vault, name };
            }
            GateAction::Refused(e) => {
                self.busy = false;
                self.error = Some(e);
            }
            GateAction::EraseFailed(e) => {
                // The vault may be half deleted: neither form can be trusted any more.
                self.error = Some(e);
                self.stage = Stage::Failed("Local data could not be deleted.".into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gate whose vault is a number, as the browser's IndexedDB handle is not needed.
    fn opened(exists: bool) -> Gate<u8> {
        let mut g = Gate::default();
        g.reduce(GateAction::DatabaseOpened { exists });
        g
    }

    #[test]
    fn it_opens_on_first_run_setup_and_later_on_unlock() {
        assert_eq!(Gate::<u8>::default().stage, Stage::Opening);
        assert_eq!(opened(false).stage, Stage::Setup);
        assert_eq!(opened(true).stage, Stage::Unlock);
    }

    #[test]
    fn a_database_that_cannot_open_says_why() {
        let mut g = Gate::<u8>::default();
        g.reduce(GateAction::DatabaseFailed("IndexedDB is blocked.".into()));
        assert_eq!(g.stage, Stage::Failed("IndexedDB is blocked.".into()));
    }

    #[test]
    fn a_wrong_passphrase_says_so_and_leaves_the_form_usable() {
        for exists in [false, true] {
            let mut g = opened(exists);
            let form = g.stage.clone();
            g.reduce(GateAction::Submitted);
            assert!(g.busy, "the form shows it is working");
            assert_eq!(g.stage, form);
            g.reduce(GateAction::Refused("Wrong passphrase.".into()));
            assert!(!g.busy);
            assert_eq!(g.error.as_deref(), Some("Wrong passphrase."));
            assert_eq!(g.stage, form, "the same form, to try again");
        }
    }

    #[test]
    fn creating_or_unlocking_opens_the_chat_and_clears_the_last_error() {
        for exists in [false, true] {
            let mut g = opened(exists);
            g.reduce(GateAction::Refused("Wrong passphrase.".into()));
            g.reduce(GateAction::Submitted);
            g.reduce(GateAction::Unlocked {
                vault: 7,
                name: "Bea".into(),
            });
            let open = Stage::Open {
                vault: 7,
                name: "Bea".into(),
            };
            assert_eq!(
                g,
                Gate {
                    stage: open,
                    busy: false,
                    error: None,
                }
            );
        }
    }

    #[test]
    fn a_failed_erase_leaves_no_form_to_use() {
        let mut g = opened(true);
        g.reduce(GateAction::EraseFailed("The database is blocked.".into()));
        assert_eq!(
            g.stage,
            Stage::Failed("Local data could not be deleted.".into())
        );
        assert_eq!(g.error.as_deref(), Some("The database is blocked."));
    }
}
