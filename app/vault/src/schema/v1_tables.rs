//! Version 1: the vault header and settings, rooms, and messages.

use super::Migration;
use crate::Table;

/// Creates the three object stores.
pub const MIGRATION: Migration = Migration {
    version: 1,
    adds: &[Table::Meta, Table::Rooms, Table::Messages],
};
