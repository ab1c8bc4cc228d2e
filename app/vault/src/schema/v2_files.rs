//! Version 2: pieces of files sent and received.

use super::Migration;
use crate::Table;

/// Creates the files object store.
pub const MIGRATION: Migration = Migration {
    version: 2,
    adds: &[Table::Files],
};
