//! The IndexedDB schema, one file per version. Each file says what its upgrade adds; a
//! database at any older version (or none) is brought up to date by the versions after
//! it. Records themselves carry their own envelope version, so a change in how records
//! are sealed needs no schema version.

use crate::Table;

mod v1_tables;
mod v2_files;

/// What one schema version adds to the one before.
#[derive(Debug)]
pub struct Migration {
    /// The version this migration brings the database to.
    pub version: u32,
    /// Object stores created by it.
    pub adds: &'static [Table],
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[v1_tables::MIGRATION, v2_files::MIGRATION];

/// The version a database has once every migration has run.
pub const VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// The object stores of an up-to-date database.
pub fn tables() -> impl Iterator<Item = Table> {
    MIGRATIONS.iter().flat_map(|m| m.adds.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as u32 + 1, "{m:?}");
        }
    }

    #[test]
    fn every_table_is_created_by_exactly_one_migration() {
        for table in Table::ALL {
            let creators = tables().filter(|t| *t == table).count();
            assert_eq!(creators, 1, "{table:?} needs one migration that adds it");
        }
        assert_eq!(tables().count(), Table::ALL.len());
    }
}
